//! The ledger's cells: arm × component × actor × department × item, and what each names.

use serde::Serialize;

/// Arm of the comparison. Incremental flows are `Intervention − Baseline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// With the intervention.
    Intervention,
    /// Without it: the services it replaces and the successes that happen anyway.
    Baseline,
}

impl Arm {
    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Intervention => "intervention",
            Arm::Baseline => "baseline",
        }
    }
    /// Sign of this arm in the incremental (intervention − baseline) flow.
    pub fn sign(self) -> f64 {
        match self {
            Arm::Intervention => 1.0,
            Arm::Baseline => -1.0,
        }
    }
}

/// What a flow is. The first three are the investment, the last the consequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    InterventionCost,
    Startup,
    ReplacedService,
    Consequence,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Component::InterventionCost => "intervention_cost",
            Component::Startup => "startup",
            Component::ReplacedService => "replaced_service",
            Component::Consequence => "consequence",
        }
    }
    pub fn kind(self) -> Kind {
        match self {
            Component::Consequence => Kind::Consequence,
            _ => Kind::Investment,
        }
    }
}

/// Investment (what the intervention costs, net of what it replaces) or consequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Investment,
    Consequence,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Investment => "investment",
            Kind::Consequence => "consequence",
        }
    }
}

/// An actor or department as the model knows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    pub id: String,
    pub name: String,
    /// The Danish name, where the department map gives one (reports in Danish use it).
    #[serde(skip)]
    pub name_da: Option<String>,
    /// For a department, the index of its actor.
    #[serde(skip)]
    pub actor: usize,
    /// For an actor: whether it is part of the public sector (the total covers public actors).
    #[serde(skip)]
    pub public: bool,
}

/// A ledger item: one cost, replaced-service, start-up or consequence line of the scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub name: String,
    /// The unit-price catalogue item it is priced from, if any.
    pub catalogue_id: Option<String>,
    /// Where the line's figure comes from, as the scenario states it.
    pub source: Option<String>,
}

/// One ledger line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell {
    pub arm: Arm,
    pub component: Component,
    pub actor: usize,
    pub department: usize,
    pub item: usize,
}
