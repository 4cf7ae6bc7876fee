"""Schemathesis against the OpenAPI document: generated requests (valid and not) over the WSGI
app, with a write token of Teresa's, find no server error and no answer that breaks the
document (status codes, content types, response schemas).

The examples per operation are bounded (``EXAMPLES``) so that the run stays under two minutes
on a small machine; raise it locally for a deeper search.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from alliance.apitokens.rest import api
from alliance.people.models import User
from tests.api.conftest import make_token

EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The document as /api/v1/openapi.json serves it (made without a request or the database),
# sent to the WSGI app in-process.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = get_wsgi_application()


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """The raw WSGI app closes the database connection after each request, which would end
    the test's transaction on PostgreSQL; Django's own test client stops that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def secret(therapist: User, keep_test_connection: None) -> str:
    """Teresa's write token (the generated requests of one operation share it)."""
    return make_token(therapist)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_api_answers_every_generated_request_within_its_document(
    case: Any, secret: str, api_records: dict[str, str]
) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
