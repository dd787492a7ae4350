"""Delivery estimates learned from the event log: lanes, lane statistics, the delivery calendar, the estimator."""

from ordertrail.domain.estimating.calendar import CalendarBook, DeliveryCalendar, zone_for
from ordertrail.domain.estimating.defaults import DefaultsBook, ServiceDefaults
from ordertrail.domain.estimating.estimator import (
    DEFAULT_POLICY,
    Estimate,
    EstimatePolicy,
    estimate,
    estimate_from_visits,
)
from ordertrail.domain.estimating.journey import StepVisit, origin_facility, step_visits, visits_of
from ordertrail.domain.estimating.lanes import Lane, LaneLevel
from ordertrail.domain.estimating.stats import LaneStats

__all__ = [
    "DEFAULT_POLICY",
    "CalendarBook",
    "DefaultsBook",
    "DeliveryCalendar",
    "Estimate",
    "EstimatePolicy",
    "Lane",
    "LaneLevel",
    "LaneStats",
    "ServiceDefaults",
    "StepVisit",
    "estimate",
    "estimate_from_visits",
    "origin_facility",
    "step_visits",
    "visits_of",
    "zone_for",
]
