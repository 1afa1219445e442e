"""OpenAPI fuzzing: every operation, bounded and derandomized, against a real database.

The schema comes from the application itself (building it touches no database); each generated
request then goes to the test's app, signed in as an admin, on SQLite and PostgreSQL. Every
default check runs (no 5xx, status codes, content types, headers and bodies conform to the
schema) except these:
- positive_data_acceptance: schema-valid input is rightly refused by domain rules the schema
  cannot express (an email without '@', an id that does not exist, a reused key);
- unsupported_method, allow_header_conformance: FastAPI answers 405 with the Allow header of one
  route, and each method of a path is its own route, so Allow lists only some of its methods;
- negative_data_rejection: Pydantic (lax mode) accepts a number as a Unix time for date-time
  query parameters such as updated_before=0.5, which the schema's format does not allow.

Each operation gets schemathesis's coverage cases (every schema's boundaries and each way to
break it) and then 12 generated requests (25 took twice as long; the coverage cases are the
systematic part).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    unsupported_method,
)

from amity.app import create_app
from amity.config import Settings

pytestmark = pytest.mark.slow

_SPEC = create_app(Settings(environment="test", database_url="sqlite:///:memory:",
                            secret_key="x" * 40)).openapi()
schema = schemathesis.openapi.from_dict(_SPEC)


def test_every_error_response_is_documented_as_problem_json() -> None:
    for path, ops in _SPEC["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in ops.items():
            for status in ("401", "404", "422"):
                content = op["responses"][status]["content"]
                assert "application/problem+json" in content, (method, path, status)


@schema.parametrize()
@settings(max_examples=12, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api(case: schemathesis.Case, app: Any, admin_user: Any) -> None:
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {admin_user[1]}"},
                           excluded_checks=[positive_data_acceptance, unsupported_method,
                                            allow_header_conformance, negative_data_rejection])
