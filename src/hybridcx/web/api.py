"""The few API endpoints the web pages need beyond the core API.

- ``POST /api/v1/conversations/{id}/survey`` (customer token): CSAT (and NPS) after a resolved chat.
- ``GET /api/v1/conversations/{id}/wait`` (customer token): place in line and expected wait.
- ``POST /api/v1/conversations/{id}/ask`` (staff): ask a teammate or supervisor for help, live.
- ``GET /api/v1/questions`` (staff): questions asked of me in the last day, answered or not.
- ``GET /api/v1/customers/{id}/overview`` (staff): the customer 360 panel.
- ``GET /api/v1/dashboard`` (supervisor, admin): live numbers for the supervisor console.
- ``GET /api/v1/help/articles?q=`` (public): hybrid search with highlights and a cited answer.
- ``GET /api/v1/help/articles/{slug}`` (public): one article.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from hybridcx.agents.service import online_agent_ids
from hybridcx.audit import record as audit
from hybridcx.auth import permissions
from hybridcx.auth.deps import AnyPrincipal, RuntimeDep
from hybridcx.auth.permissions import AnalyticsReader, ConversationHandler, CustomerReader
from hybridcx.auth.service import CustomerPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import clean_text, customer_read, message_read
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from hybridcx.kit.events import MessageCreated, QuestionAsked
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.time import iso
from hybridcx.profiles.company import company_view  # the 360 from the backend
from hybridcx.queue.service import queue_position, queue_summary
from hybridcx.safety.repository import guarded_answer
from hybridcx.web import queries, search

router = APIRouter(prefix="/api/v1", tags=["web"])


class SurveyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy).")
    nps: int | None = Field(
        default=None,
        ge=0,
        le=10,
        description="How likely to recommend us, 0 (not at all) to 10 (extremely); optional.",
    )
    comment: str = Field(default="", max_length=2000)
    # "Was your issue resolved?" (optional): predictive routing learns resolution from it.
    resolved: bool | None = None

    @field_validator("comment")
    @classmethod
    def valid_comment(cls, value: str) -> str:
        return clean_text(value).strip()


@router.post("/conversations/{conversation_id}/survey", status_code=201)
async def submit_survey(
    conversation_id: str, body: SurveyCreate, principal: AnyPrincipal, runtime: RuntimeDep
) -> dict[str, Any]:
    """The customer's CSAT answer for a resolved conversation; once per conversation (409 after)."""
    if not isinstance(principal, CustomerPrincipal):
        raise Forbidden("Only the customer answers the survey.")
    async with transaction(runtime.sessions) as session:
        conv = permissions.customer_owns(
            principal, await repo.get_conversation(session, conversation_id, lock=True)
        )
        if conv.status != "resolved":
            raise Conflict("The survey opens once the conversation is resolved.")
        if await queries.has_survey(session, conv.id):
            raise Conflict("Thanks, we already have your feedback for this conversation.")
        data = {
            "rating": body.rating,
            "nps": body.nps,
            "comment": body.comment,
            "agent_id": conv.assigned_agent_id,
        }
        if body.resolved is not None:
            data["resolved"] = body.resolved
        repo.add_event(
            session,
            conv,
            queries.SURVEY_EVENT,
            actor="customer",
            actor_id=conv.customer_id,
            data=data,
        )
    return {
        "conversation_id": conversation_id,
        "rating": body.rating,
        "nps": body.nps,
        "comment": body.comment,
    }


class AskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_agent_id: str = Field(min_length=1, max_length=64, description="Who to ask.")
    text: str = Field(max_length=2000, description="The question; stays internal.")

    @field_validator("text")
    @classmethod
    def valid_text(cls, value: str) -> str:
        return clean_text(value).strip()


@router.post("/conversations/{conversation_id}/ask", status_code=201)
async def ask_for_help(
    conversation_id: str,
    body: AskCreate,
    staff: ConversationHandler,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Ask a supervisor or a teammate about this conversation. The question is stored as an
    internal note (so it stays in the transcript) with a ``collaboration.asked`` event, and the
    staff channel carries a ``collaboration.asked`` event with ``to_agent_id``: the desk of that
    person shows it live; they open the conversation and answer with an internal note."""
    if not body.text:
        raise InvalidInput("Write your question first.")
    outbox = Outbox()
    async with transaction(runtime.sessions) as session:
        conv = permissions.check_conversation(
            staff,
            await repo.get_conversation(session, conversation_id, workspace_id=staff.workspace_id),
        )
        if conv.status == "resolved":
            raise Conflict("This conversation is resolved.")
        target = await repo.get_agent(session, body.to_agent_id, workspace_id=staff.workspace_id)
        if target is None:
            raise NotFound("No such agent in this workspace.")
        if target.id == staff.agent_id:
            raise InvalidInput("Ask someone else: that is you.")
        msg = repo.add_message(
            session,
            conv,
            author="agent",
            text=f"Question for {target.name}: {body.text}",
            internal=True,
            agent_id=staff.agent_id,
        )
        conv.updated_at = utcnow()
        await session.flush()
        repo.add_event(
            session,
            conv,
            queries.ASKED_EVENT,
            actor="agent",
            actor_id=staff.agent_id,
            data={"to_agent_id": target.id, "message_id": msg.id, "text": body.text},
        )
        customer = await repo.get_customer(session, conv.customer_id)
        note = message_read(msg, {staff.agent_id: staff.name})
        question = {
            "conversation_id": conv.id,
            "message_id": msg.id,
            "from_agent": {"id": staff.agent_id, "name": staff.name},
            "to_agent": {"id": target.id, "name": target.name},
            "customer": {"name": customer.name, "email": customer.email},
            "text": body.text,
            "asked_at": note["created_at"],
            "answered": False,
        }
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, to_customer=False, message=note))
        outbox.emit(QuestionAsked(conv.workspace_id, to_agent_id=target.id, question=question))
    await outbox.flush(runtime)
    return {"question": question, "message": note}


@router.get("/questions")
async def my_questions(staff: ConversationHandler, runtime: RuntimeDep) -> dict[str, Any]:
    """Questions teammates asked me in the last day on conversations still open, newest first;
    ``answered`` once I wrote an internal note there after the question."""
    async with runtime.sessions() as session:
        items = await queries.questions_for(
            session, staff.workspace_id, staff.agent_id, since=utcnow() - timedelta(days=1)
        )
    return {"items": items}


@router.get("/conversations/{conversation_id}/wait")
async def wait_estimate(
    conversation_id: str, principal: AnyPrincipal, runtime: RuntimeDep
) -> dict[str, Any]:
    """Place in line and a rough expected wait: the mean queue-to-agent time of the last day's
    pickups, times the place in line, shared among the agents available now. Null without data."""
    if not isinstance(principal, CustomerPrincipal):
        raise Forbidden("This is the customer's view of their place in line.")
    async with runtime.sessions() as session:
        conv = permissions.customer_owns(
            principal, await repo.get_conversation(session, conversation_id)
        )
        ws = await repo.get_workspace(session, conv.workspace_id)
        position = await queue_position(session, conv, runtime.policies.policy(ws.slug).queue)
        waits = await queries.recent_waits(session, ws.id, since=utcnow() - timedelta(days=1))
        online = await online_agent_ids(
            session, ws.id, timeout_seconds=runtime.presence_timeout_seconds
        )
        available = (await queries.agent_states(session, ws.id, online_ids=online))["available"]
    expected = None
    if position is not None and waits:
        expected = round(sum(waits) / len(waits) * position / max(1, available))
    return {
        "queue_position": position,
        "expected_wait_seconds": expected,
        "based_on": len(waits),
    }


@router.get("/customers/{customer_id}/overview")
async def customer_overview(
    customer_id: str, staff: CustomerReader, runtime: RuntimeDep
) -> dict[str, Any]:
    """Profile, value, orders, appointments and previous conversations of one customer.
    Agents see customers who have a conversation they can see; each read is audited."""
    async with transaction(runtime.sessions) as session:
        customer = await queries.customer_in_workspace(session, staff.workspace_id, customer_id)
        if customer is None or not await queries.customer_visible_to(session, staff, customer.id):
            raise NotFound("No such customer in this workspace.")
        # orders and appointments from the workspace's CompanyBackend (the demo
        # tables, Shopify or the no-code HTTP backend), for every email of the one profile;
        # read before the audit entry is written, so no write is held open across the calls
        backend = runtime.backend_factory(session, staff.workspace_id)
        company = await company_view(session, backend, customer)
        audit(
            session,
            action="customer.read",
            actor=staff,
            target_type="customer",
            target_id=customer.id,
        )
        return {
            "customer": {**customer_read(customer), "since": iso(customer.created_at)},
            "orders": company["orders"],
            "appointments": company["appointments"],
            "backend": company["backend"],
            "conversations": await queries.customer_conversations(session, customer),
        }


@router.get("/dashboard")
async def dashboard(
    staff: AnalyticsReader,
    runtime: RuntimeDep,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
) -> dict[str, Any]:
    """Volume, AI containment, escalation reasons, queue, agent states and CSAT for the window."""
    now = utcnow()
    async with runtime.sessions() as session:
        ws = await repo.get_workspace(session, staff.workspace_id)
        numbers = await queries.dashboard_numbers(
            session, ws.id, since=now - timedelta(hours=hours)
        )
        waiting, oldest = await queue_summary(session, ws.id)
        online = await online_agent_ids(
            session, ws.id, timeout_seconds=runtime.presence_timeout_seconds
        )
        agents = await queries.agent_states(session, ws.id, online_ids=online)
    return {
        "window_hours": hours,
        "generated_at": iso(now),
        "volume": {"by_channel": numbers.by_channel, "by_tier": numbers.by_tier},
        "by_status": numbers.by_status,
        "started": numbers.started,
        "contained": numbers.contained,
        "containment": round(numbers.contained / numbers.started, 3) if numbers.started else None,
        "escalation_reasons": numbers.escalation_reasons,
        "queue": {
            "length": waiting,
            "longest_wait_seconds": int(max(0.0, (now - oldest).total_seconds())) if oldest else 0,
        },
        "agents": agents,
        "csat": {"count": numbers.csat_count, "average": numbers.csat_average},
    }


async def _public_workspace(runtime: RuntimeDep, inbox: str | None) -> str:
    async with runtime.sessions() as session:
        found = await repo.find_inbox(session, inbox)
    if found is None:
        raise NotFound(f"Unknown inbox {inbox!r}." if inbox else "No default inbox is set up.")
    return found.workspace_id


def _article_read(article: Any) -> dict[str, Any]:
    body: str = article.body
    return {
        "slug": article.slug,
        "title": article.title,
        "tags": list(article.tags or []),
        "updated_at": iso(article.updated_at),
        "body": body,
    }


@router.get("/help/articles")
async def search_articles(
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=200), AfterValidator(clean_text)] = "",
    inbox: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Hybrid search (lexical + semantic) over public articles, best passages first, with the
    matched words as marked segments, and the AI's cited answer on top when it has one. With an
    empty ``q``: every public article. Internal articles never appear."""
    workspace_id = await _public_workspace(runtime, inbox)
    query = clean_text(q).strip()
    async with runtime.sessions() as session:
        if not query:
            found = await queries.public_articles(session, workspace_id)
            return {"query": q, "answer": None, "items": [_listing(a) for a in found]}
        hits = await runtime.knowledge.search(session, workspace_id, query, k=8, audience="public")
        # no answer to an injection, none that leaks protected text.
        answer = await guarded_answer(runtime.knowledge, session, workspace_id, query)
    return {
        "query": q,
        "answer": search.answer_read(answer, query),
        "items": [search.hit_read(h, query) for h in search.relevant(hits)][:5],
    }


def _listing(article: Any) -> dict[str, Any]:
    text = search.snippet(article.body, "")
    return {
        "slug": article.slug,
        "title": article.title,
        "url": f"/help/articles/{article.slug}",
        "heading": "",
        "text": text,
        "segments": [{"text": text, "mark": False}],
        "title_segments": [{"text": article.title, "mark": False}],
        "score": None,
    }


@router.get("/help/articles/{slug}")
async def read_article(
    slug: str,
    runtime: RuntimeDep,
    inbox: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    workspace_id = await _public_workspace(runtime, inbox)
    async with runtime.sessions() as session:
        article = await queries.public_article(session, workspace_id, slug)
    if article is None:
        raise NotFound("No such article.")
    return _article_read(article)
