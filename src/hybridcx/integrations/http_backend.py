"""The no-code HTTP backend: a YAML mapping from what the flows need to the company's own REST
endpoints, so a company connects without writing Python.

The mapping names, per operation (``order``, ``orders_for``, ``account_for``, ``free_slots``,
``book`` …, the methods of ``CompanyBackend`` plus ``find_customer``), the HTTP method, a URL
template, query and body templates, and JSON paths that read the answer. It is validated when
it is saved or loaded: an unknown operation, a placeholder the operation does not have, a bad
JSON path or a missing result field is an error that names the place. Credentials are not
part of the mapping: they are the connector's sealed secrets (``auth``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from string import Formatter
from typing import Any, Literal
from urllib.parse import quote

import httpx
import yaml
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError, model_validator

from hybridcx.flows.backend import Account, NotSupported, Order, Slot, SlotTaken
from hybridcx.integrations.jsonpath import MISSING, JsonPath, parse_path
from hybridcx.integrations.resilience import (
    BackendUnavailable,
    CircuitBreaker,
    status_error,
    unavailable_from,
)

# What each operation is given (placeholders its templates may use) and what it answers.
PARAMS: dict[str, tuple[str, ...]] = {
    "find_customer": ("email",),
    "orders_for": ("email",),
    "order": ("number",),
    "account_for": ("email",),
    "send_password_reset": ("email",),
    "send_verification_code": ("email",),
    "check_verification_code": ("email", "code"),
    "free_slots": ("after", "limit"),
    "appointments_for": ("email", "after"),
    "book": ("slot_id", "email"),
    "cancel": ("slot_id", "email"),
    "cancel_order": ("number", "email"),
    "update_contact": ("email", "field", "value"),
    "refund": ("number", "email", "amount"),
    "send_replacement": ("number", "email"),
}
ANSWERS: dict[str, str] = {
    "find_customer": "customer",
    "orders_for": "orders",
    "order": "order",
    "account_for": "account",
    "send_password_reset": "ok",
    "send_verification_code": "ok",
    "check_verification_code": "ok",
    "free_slots": "slots",
    "appointments_for": "slots",
    "book": "slot",
    "cancel": "ok",
    "cancel_order": "ok",
    "update_contact": "ok",
    "refund": "reference",
    "send_replacement": "reference",
}
# Result fields per kind of answer: (required, optional).
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customer": (("email",), ("name", "phone", "id")),
    "order": (
        ("number", "status"),
        ("carrier", "tracking_number", "expected_delivery", "placed_at", "total", "email"),
    ),
    "account": (("account_number", "status"), ("plan", "balance")),
    "slot": (("id", "starts_at"), ("location",)),
    "ok": ((), ("ok",)),
    "reference": (("reference",), ()),
}
FIELDS["orders"] = FIELDS["order"]
FIELDS["slots"] = FIELDS["slot"]
LISTS = {"orders", "slots"}
# Operations that change nothing: `hybridcx integrations test` calls only these.
READ_ONLY = ("find_customer", "orders_for", "order", "account_for", "free_slots")
ORDER_STATUSES = ("processing", "shipped", "delivered", "cancelled", "returned", "refunded")
EPOCH = datetime(1970, 1, 1)


class MappingError(ValueError):
    """The mapping is not usable; ``errors`` are one line per problem, each with its place."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid HTTP backend mapping:\n" + "\n".join(f"- {e}" for e in errors))
        self.errors = errors


class AuthSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "bearer", "basic", "header", "query"] = "none"
    # the header (type header) or query parameter (type query) that carries the secret `value`
    name: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _named(self) -> AuthSpec:
        if self.type in ("header", "query") and not self.name:
            raise ValueError(f"auth type {self.type} needs `name` (the {self.type} to send)")
        return self

    def secret_names(self) -> tuple[str, ...]:
        return {
            "none": (),
            "bearer": ("token",),
            "basic": ("username", "password"),
            "header": ("value",),
            "query": ("value",),
        }[self.type]


class OperationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(min_length=1, max_length=2000, description="relative to base_url")
    query: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    items: str | None = None  # JSON path of the list (orders_for, free_slots, appointments_for)
    result: dict[str, str] = Field(default_factory=dict)  # field -> JSON path
    not_found: list[int] = Field(default_factory=lambda: [404])
    conflict: list[int] = Field(default_factory=lambda: [409])  # book: the slot is taken
    status_map: dict[str, str] = Field(default_factory=dict)  # the company's -> the flows'
    timeout_seconds: float | None = Field(default=None, gt=0, le=30)


class CircuitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    failures: int = Field(default=3, ge=1, le=100)
    reset_seconds: float = Field(default=30, gt=0, le=3600)


class HttpMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: AnyHttpUrl
    timeout_seconds: float = Field(default=5, gt=0, le=30)
    auth: AuthSpec = Field(default_factory=AuthSpec)
    headers: dict[str, str] = Field(default_factory=dict)
    circuit: CircuitSpec = Field(default_factory=CircuitSpec)
    operations: dict[str, OperationSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Operation:
    name: str
    spec: OperationSpec
    items: JsonPath | None
    result: dict[str, JsonPath]


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"template {template!r}: {exc}") from None


def _template_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _template_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _template_strings(v)]
    return []


def _check_operation(name: str, spec: OperationSpec) -> tuple[Operation | None, list[str]]:
    where = f"operations.{name}"
    if name not in PARAMS:
        return None, [f"{where}: unknown operation; use one of {', '.join(PARAMS)}"]
    errors: list[str] = []
    allowed = set(PARAMS[name])
    for place, template in (
        [("url", spec.url)]
        + [(f"query.{k}", v) for k, v in spec.query.items()]
        + [("body", s) for s in _template_strings(spec.body)]
    ):
        try:
            used = _placeholders(template)
        except ValueError as exc:
            errors.append(f"{where}.{place}: {exc}")
            continue
        for bad in sorted(used - allowed):
            errors.append(
                f"{where}.{place}: {{{bad}}} is not known here; "
                f"{name} has {', '.join('{' + p + '}' for p in PARAMS[name]) or 'no placeholders'}"
            )
    if spec.url.startswith(("http://", "https://", "//")):
        errors.append(f"{where}.url: give a path relative to base_url, not a full URL")
    answer = ANSWERS[name]
    required, optional = FIELDS[answer]
    if name == "order":
        required = (*required, "email")  # the flows check the order's owner
    for missing in [f for f in required if f not in spec.result]:
        errors.append(f"{where}.result: {missing!r} is required (a JSON path into the answer)")
    for unknown in sorted(set(spec.result) - set(required) - set(optional)):
        errors.append(
            f"{where}.result: {unknown!r} is not a field of {answer}; "
            f"use {', '.join((*required, *optional))}"
        )
    paths: dict[str, JsonPath] = {}
    for field, text in spec.result.items():
        try:
            paths[field] = parse_path(text)
        except ValueError as exc:
            errors.append(f"{where}.result.{field}: {exc}")
    items: JsonPath | None = None
    if answer in LISTS:
        if spec.items is None:
            errors.append(f"{where}.items: required: the JSON path of the list (e.g. $.orders)")
        else:
            try:
                items = parse_path(spec.items)
            except ValueError as exc:
                errors.append(f"{where}.items: {exc}")
    elif spec.items is not None:
        errors.append(f"{where}.items: {name} answers one {answer}, not a list")
    for company, ours in spec.status_map.items():
        if answer in ("order", "orders") and ours not in ORDER_STATUSES:
            errors.append(
                f"{where}.status_map.{company}: {ours!r} is not one of {', '.join(ORDER_STATUSES)}"
            )
    if errors:
        return None, errors
    return Operation(name, spec, items, paths), []


@dataclass(frozen=True)
class LoadedMapping:
    spec: HttpMapping
    operations: dict[str, Operation]


def parse_mapping(data: Any) -> LoadedMapping:
    """Validate a mapping given as parsed YAML/JSON; raises MappingError listing every problem."""
    if not isinstance(data, dict):
        raise MappingError(["the mapping must be a YAML mapping with base_url and operations"])
    try:
        spec = HttpMapping.model_validate(data)
    except ValidationError as exc:
        raise MappingError(
            [f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()]
        ) from None
    errors: list[str] = []
    operations: dict[str, Operation] = {}
    for name, op in spec.operations.items():
        checked, problems = _check_operation(name, op)
        errors.extend(problems)
        if checked is not None:
            operations[name] = checked
    if errors:
        raise MappingError(errors)
    return LoadedMapping(spec, operations)


def load_mapping(text: str) -> LoadedMapping:
    """Parse and validate mapping YAML text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise MappingError([f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    return parse_mapping(data)


# ---- the backend ------------------------------------------------------------------------------


def _fill(template: str, params: Mapping[str, Any], *, path: bool = False) -> Any:
    used = _placeholders(template)
    if not path and len(used) == 1 and template == "{" + next(iter(used)) + "}":
        value = params[next(iter(used))]  # a whole-value placeholder keeps its type
        return value.isoformat() if isinstance(value, datetime) else value
    values = {
        k: quote(_text(v), safe="") if path else _text(v) for k, v in params.items() if k in used
    }
    return template.format(**values)


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _fill_body(body: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(body, str):
        return _fill(body, params)
    if isinstance(body, dict):
        return {k: _fill_body(v, params) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_body(v, params) for v in body]
    return body


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _datetime(value: Any) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    return _naive_utc(datetime.fromisoformat(str(value)))


def _date(value: Any) -> date:
    text = str(value)
    return date.fromisoformat(text) if len(text) == 10 else _datetime(text).date()


class HttpBackend:
    """``CompanyBackend`` over the company's REST API, as the mapping says."""

    def __init__(
        self,
        name: str,
        mapping: LoadedMapping,
        secrets: Mapping[str, str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.name = name
        self.mapping = mapping
        spec = mapping.spec
        auth: httpx.Auth | None = None
        headers = dict(spec.headers)
        self._query_auth: dict[str, str] = {}
        if spec.auth.type == "bearer":
            headers["Authorization"] = f"Bearer {secrets['token']}"
        elif spec.auth.type == "basic":
            auth = httpx.BasicAuth(secrets["username"], secrets["password"])
        elif spec.auth.type == "header":
            headers[str(spec.auth.name)] = secrets["value"]
        elif spec.auth.type == "query":
            self._query_auth = {str(spec.auth.name): secrets["value"]}
        self.http = httpx.AsyncClient(
            base_url=str(spec.base_url).rstrip("/") + "/",
            headers=headers,
            auth=auth,
            timeout=spec.timeout_seconds,
            transport=transport,
            follow_redirects=False,
        )
        self.breaker = breaker or CircuitBreaker(
            threshold=spec.circuit.failures, reset_seconds=spec.circuit.reset_seconds
        )

    def supports(self, operation: str) -> bool:
        return operation in self.mapping.operations

    async def aclose(self) -> None:
        await self.http.aclose()

    # ---- the wire --------------------------------------------------------------------------

    async def _call(self, operation: str, **params: Any) -> tuple[int, Any]:
        """(status, parsed JSON or None). Not-found and conflict statuses come back as they
        are; anything else that is not 2xx, a timeout or a refused connection is
        BackendUnavailable (and counts against the circuit)."""
        op = self.mapping.operations.get(operation)
        if op is None:
            raise NotSupported(self.name, f"the mapping has no {operation!r} operation")

        async def send() -> tuple[int, Any]:
            spec = op.spec
            url = _fill(spec.url, params, path=True).lstrip("/")
            query = {k: _fill(v, params) for k, v in spec.query.items()} | self._query_auth
            body = _fill_body(spec.body, params) if spec.body is not None else None
            timeout = spec.timeout_seconds or self.mapping.spec.timeout_seconds
            try:
                async with asyncio.timeout(timeout + 1):
                    response = await self.http.request(
                        spec.method, url, params=query, json=body, timeout=timeout
                    )
            except (httpx.HTTPError, TimeoutError) as exc:
                raise unavailable_from(self.name, exc) from None
            status = response.status_code
            if status in spec.not_found or (operation == "book" and status in spec.conflict):
                return status, None
            if not 200 <= status < 300:
                raise BackendUnavailable(self.name, f"{operation} {status_error(status)}")
            if not response.content:
                return status, None
            try:
                return status, response.json()
            except ValueError:
                raise BackendUnavailable(
                    self.name, f"{operation} answered with something that is not JSON"
                ) from None

        return await self.breaker.call(self.name, send)

    def _read(self, operation: str, data: Any, field: str, *, required: bool) -> Any:
        path = self.mapping.operations[operation].result.get(field)
        value = MISSING if path is None else path.get(data)
        if value is MISSING or value is None:
            if required:
                where = path.text if path else "(not mapped)"
                raise BackendUnavailable(
                    self.name, f"{operation}: the answer has no {field} at {where}"
                )
            return None
        return value

    def _items(self, operation: str, data: Any) -> list[Any]:
        path = self.mapping.operations[operation].items
        assert path is not None
        found = path.get(data) if data is not None else []
        if found is MISSING or found is None:
            return []
        if not isinstance(found, list):
            raise BackendUnavailable(self.name, f"{operation}: {path.text} is not a list")
        return found

    def _order(self, operation: str, data: Any) -> Order:
        status_map = self.mapping.operations[operation].spec.status_map
        raw_status = str(self._read(operation, data, "status", required=True))
        total = self._read(operation, data, "total", required=False)
        eta = self._read(operation, data, "expected_delivery", required=False)
        placed = self._read(operation, data, "placed_at", required=False)
        carrier = self._read(operation, data, "carrier", required=False)
        tracking = self._read(operation, data, "tracking_number", required=False)
        try:
            return Order(
                number=str(self._read(operation, data, "number", required=True)),
                status=status_map.get(raw_status, raw_status),
                carrier=str(carrier) if carrier is not None else None,
                tracking_number=str(tracking) if tracking is not None else None,
                expected_delivery=_date(eta) if eta else None,
                placed_at=_datetime(placed) if placed else EPOCH,
                total=float(total) if total is not None else 0.0,
            )
        except (TypeError, ValueError) as exc:
            raise BackendUnavailable(self.name, f"{operation}: unreadable order ({exc})") from None

    def _slot(self, operation: str, data: Any) -> Slot:
        try:
            return Slot(
                id=str(self._read(operation, data, "id", required=True)),
                starts_at=_datetime(self._read(operation, data, "starts_at", required=True)),
                location=str(self._read(operation, data, "location", required=False) or ""),
            )
        except (TypeError, ValueError) as exc:
            raise BackendUnavailable(self.name, f"{operation}: unreadable slot ({exc})") from None

    async def _ok(self, operation: str, **params: Any) -> bool:
        status, data = await self._call(operation, **params)
        if data is None:  # not found (False), or 2xx without a body (True unless `ok` is mapped)
            return 200 <= status < 300 and "ok" not in self._result(operation)
        if "ok" in self._result(operation):
            return bool(self._read(operation, data, "ok", required=False))
        return True

    def _result(self, operation: str) -> dict[str, JsonPath]:
        return self.mapping.operations[operation].result

    # ---- CompanyBackend ----------------------------------------------------------------------

    async def find_customer(self, email: str) -> dict[str, Any] | None:
        """Not used by the flows: `hybridcx integrations test` checks the lookup with it."""
        _, data = await self._call("find_customer", email=_email(email))
        if data is None:
            return None
        fields = ("email", "name", "phone", "id")
        return {
            f: self._read("find_customer", data, f, required=f == "email")
            for f in fields
            if f in self._result("find_customer")
        }

    async def orders_for(self, email: str) -> list[Order]:
        _, data = await self._call("orders_for", email=_email(email))
        orders = [self._order("orders_for", item) for item in self._items("orders_for", data)]
        return sorted(orders, key=lambda o: o.placed_at, reverse=True)

    async def order(self, number: str) -> tuple[Order, str] | None:
        _, data = await self._call("order", number=number)
        if data is None:
            return None
        owner = self._read("order", data, "email", required=False)
        return self._order("order", data), _email(str(owner or ""))

    async def account_for(self, email: str) -> Account | None:
        _, data = await self._call("account_for", email=_email(email))
        if data is None:
            return None
        balance = self._read("account_for", data, "balance", required=False)
        try:
            return Account(
                account_number=str(
                    self._read("account_for", data, "account_number", required=True)
                ),
                status=str(self._read("account_for", data, "status", required=True)),
                plan=str(self._read("account_for", data, "plan", required=False) or ""),
                balance=float(balance) if balance is not None else 0.0,
            )
        except (TypeError, ValueError) as exc:
            raise BackendUnavailable(self.name, f"account_for: unreadable ({exc})") from None

    async def send_password_reset(self, email: str) -> bool:
        return await self._ok("send_password_reset", email=_email(email))

    async def send_verification_code(self, email: str) -> bool:
        return await self._ok("send_verification_code", email=_email(email))

    async def check_verification_code(self, email: str, code: str) -> bool:
        return await self._ok("check_verification_code", email=_email(email), code=code)

    async def free_slots(self, *, after: datetime, limit: int) -> list[Slot]:
        _, data = await self._call("free_slots", after=after, limit=limit)
        slots = [self._slot("free_slots", s) for s in self._items("free_slots", data)]
        return sorted((s for s in slots if s.starts_at > after), key=lambda s: s.starts_at)[:limit]

    async def appointments_for(self, email: str, *, after: datetime) -> list[Slot]:
        _, data = await self._call("appointments_for", email=_email(email), after=after)
        slots = [self._slot("appointments_for", s) for s in self._items("appointments_for", data)]
        return sorted((s for s in slots if s.starts_at > after), key=lambda s: s.starts_at)

    async def book(self, slot_id: str, email: str) -> Slot:
        _, data = await self._call("book", slot_id=slot_id, email=_email(email))
        if data is None:
            raise SlotTaken(slot_id)
        return self._slot("book", data)

    async def cancel(self, slot_id: str, email: str) -> bool:
        return await self._ok("cancel", slot_id=slot_id, email=_email(email))

    async def cancel_order(self, number: str, email: str) -> bool:
        return await self._ok("cancel_order", number=number, email=_email(email))

    async def update_contact(self, email: str, field: str, value: str) -> bool:
        return await self._ok("update_contact", email=_email(email), field=field, value=value)

    async def refund(self, number: str, email: str, amount: float) -> str:
        _, data = await self._call("refund", number=number, email=_email(email), amount=amount)
        return str(self._read("refund", data, "reference", required=True)) if data else ""

    async def send_replacement(self, number: str, email: str) -> str:
        _, data = await self._call("send_replacement", number=number, email=_email(email))
        return str(self._read("send_replacement", data, "reference", required=True)) if data else ""


def _email(email: str) -> str:
    return email.strip().lower()
