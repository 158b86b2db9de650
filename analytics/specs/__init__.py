"""EV specifications shipped with the package: rated capacity, chemistry and pack topology.

``ev_specs.csv`` (built by :mod:`analytics.specs.build` from ``evspecs.json`` and curated
pack data) answers :func:`lookup`; :func:`reference_capacity` says which capacity a vehicle's
state of health is relative to (``nominal`` | ``spec_table`` | ``first_observed``).
"""

from analytics.specs.complete import complete_from_specs
from analytics.specs.reference import CapacityReference, reference_capacity, resolve_reference
from analytics.specs.table import lookup, spec_rows

__all__ = [
    "CapacityReference",
    "complete_from_specs",
    "lookup",
    "reference_capacity",
    "resolve_reference",
    "spec_rows",
]
