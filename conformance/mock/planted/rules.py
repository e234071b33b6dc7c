"""Planted faults: rules (see :mod:`conformance.mock.planted`)."""

from __future__ import annotations

from conformance.mock.planted.model import Fault

FAULTS: tuple[Fault, ...] = ()

#: Testable requirements of this area that have only one distinct way to break them: id -> why.
ONE_WAY: dict[str, str] = {}
