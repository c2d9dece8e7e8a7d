"""The fictional demo company, Northwind Goods: staff, customers, orders, accounts, appointments.

Seeding is idempotent: it does nothing when the demo workspace already exists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import new_id, new_token, utcnow
from hybridcx.kit.security import hash_demo_password
from hybridcx.models import (
    Agent,
    Article,
    Customer,
    DemoAccount,
    DemoAppointmentSlot,
    DemoOrder,
    Inbox,
    Macro,
    Workspace,
)

DEMO_WORKSPACE_SLUG = "default"
DEMO_INBOX_KEY = "demo-webchat"
# Demo only: a real deployment gets a random secret per inbox (see docs/operations.md).
DEMO_INBOX_SECRET = "demo-widget-secret"
DEMO_CHANNEL_INBOXES = (
    ("demo-sms", "sms", "Text messages"),
    ("demo-voice", "voice", "Phone line"),
    ("demo-email", "email", "Support mailbox"),
)


@dataclass(frozen=True)
class StaffSeed:
    email: str
    password: str
    name: str
    role: str
    skills: tuple[str, ...]
    capacity: int = 3


STAFF = (
    StaffSeed("admin@example.com", "demo-admin", "Ada Admin", "admin", ("general",)),
    StaffSeed(
        "supervisor@example.com",
        "demo-supervisor",
        "Sam Supervisor",
        "supervisor",
        ("general", "premium", "billing", "orders", "tech"),
    ),
    StaffSeed(
        "agent@example.com", "demo-agent", "Alice Agent", "agent", ("general", "orders", "billing")
    ),
    StaffSeed("bob@example.com", "demo-agent", "Bob Tech", "agent", ("general", "tech")),
    StaffSeed(
        "carmen@example.com",
        "demo-agent",
        "Carmen Senior",
        "agent",
        ("general", "premium", "billing"),
        2,
    ),
    StaffSeed(
        "diego@example.com", "demo-agent", "Diego Orders", "agent", ("general", "orders", "es")
    ),
    # reads the audit log and the analytics; never a transcript; takes no conversations.
    StaffSeed("auditor@example.com", "demo-auditor", "Avery Auditor", "auditor", (), 0),
)

FIRST = [
    "Jordan",
    "Priya",
    "Mateo",
    "Chen",
    "Fatima",
    "Liam",
    "Sofia",
    "Noah",
    "Aisha",
    "Lucas",
    "Mia",
    "Omar",
    "Elena",
    "Kenji",
    "Zara",
    "Ethan",
    "Nora",
    "Ravi",
    "Grace",
    "Tomás",
    "Ines",
    "Yusuf",
]
LAST = [
    "Reed",
    "Patel",
    "Garcia",
    "Wei",
    "Khan",
    "Murphy",
    "Rossi",
    "Kim",
    "Bello",
    "Silva",
    "Novak",
    "Haddad",
    "Petrov",
    "Sato",
    "Ali",
    "Brooks",
    "Larsen",
    "Iyer",
    "Okafor",
    "Ruiz",
    "Costa",
    "Demir",
]
CARRIERS = ["UPS", "FedEx", "DHL", "USPS"]
PRODUCTS = [
    ("Trail Backpack 30L", 89.0),
    ("Insulated Bottle", 24.5),
    ("Rain Shell Jacket", 149.0),
    ("Wool Socks (3 pack)", 19.0),
    ("Headlamp 400lm", 39.0),
    ("Camp Stove", 64.0),
]
LOCATIONS = ["Northwind Downtown (12 Market St)", "Northwind Riverside (88 Quay Rd)"]


async def seed_demo(session: AsyncSession, *, today: date | None = None) -> bool:
    """Create the demo company. Returns False if it was already there."""
    existing = (
        await session.execute(select(Workspace).where(Workspace.slug == DEMO_WORKSPACE_SLUG))
    ).scalar_one_or_none()
    if existing is not None:
        return False
    today = today or utcnow().date()
    ws = Workspace(id=new_id(), slug=DEMO_WORKSPACE_SLUG, name="Northwind Goods", is_default=True)
    session.add(ws)
    await session.flush()
    session.add(
        Inbox(
            id=new_id(),
            workspace_id=ws.id,
            key=DEMO_INBOX_KEY,
            channel="webchat",
            name="Website chat",
            hmac_secret=DEMO_INBOX_SECRET,
            is_default=True,
        )
    )
    # Channels (hybridcx.channels): one inbox per channel; webhooks find them by channel.
    for key, channel, name in DEMO_CHANNEL_INBOXES:
        session.add(
            Inbox(
                id=new_id(),
                workspace_id=ws.id,
                key=key,
                channel=channel,
                name=name,
                hmac_secret=new_token(),
                is_default=False,
            )
        )
    for s in STAFF:
        session.add(
            Agent(
                id=new_id(),
                workspace_id=ws.id,
                email=s.email,
                name=s.name,
                role=s.role,
                password_hash=hash_demo_password(s.password),
                skills=list(s.skills),
                capacity=s.capacity,
                status="away",
            )
        )
    # Rows go in dependency order (customers before their orders): the tables have no ORM
    # relationships for the unit of work to sort by.
    children: list[object] = []
    _seed_named_customers(session, ws.id, today, children)
    crowd = _seed_crowd(session, ws.id, today, children)
    await session.flush()
    session.add_all(children)
    _seed_slots(session, ws.id, today, book_for=crowd)
    _seed_articles(session, ws.id)
    _seed_macros(session, ws.id)  # replaces the desk's hard-coded canned responses
    await session.flush()
    return True


#: The demo macros: name, reply text, actions. The refund one runs the real
#: cancel-and-refund action, which the approval limit may hold for a supervisor; the system
#: message that follows says which, so the reply text promises only what is true.
DEMO_MACROS: tuple[tuple[str, str, list[dict[str, object]]], ...] = (
    (
        "Greeting",
        "Hi {{customer.first_name}}, I'm {{agent.name}}. Thanks for waiting; I'm looking into "
        "this for you now.",
        [],
    ),
    (
        "Order status",
        "I'm checking order {{order.id}} for you now. You can also follow it with the tracking "
        "link in your confirmation email.",
        [],
    ),
    (
        "Refund",
        "I've asked to cancel order {{order.id}} and refund it to your original payment "
        "method. You'll see the result here in a moment: refunds above our limit are checked "
        "by a supervisor first.",
        [{"type": "backend", "action": "cancel_and_refund"}],
    ),
    (
        "More time",
        "Thanks for your patience. I need a couple more minutes to check this.",
        [],
    ),
    ("Closing", "Is there anything else I can help you with today?", []),
    (
        "Billing specialist",
        "I'm passing you to our billing specialists, who can look at your account in detail. "
        "One of them will be with you shortly.",
        [
            {"type": "set_tier", "tier": 2},
            {"type": "note", "text": "Sent to billing by {{agent.name}} with the macro."},
            {"type": "transfer", "skill": "billing"},
        ],
    ),
    (
        "Solved, goodbye",
        "Glad I could help, {{customer.first_name}}. Thanks for contacting Northwind Goods!",
        [{"type": "resolve"}],
    ),
)


def _seed_macros(session: AsyncSession, ws_id: str) -> None:
    now = utcnow()
    for name, text, actions in DEMO_MACROS:
        session.add(
            Macro(
                id=new_id(),
                workspace_id=ws_id,
                name=name,
                text=text,
                actions=actions,
                created_at=now,
                updated_at=now,
            )
        )


ARTICLES_FILE = Path(__file__).with_name("articles.yaml")


def _seed_articles(session: AsyncSession, ws_id: str) -> None:
    for item in yaml.safe_load(ARTICLES_FILE.read_text()):
        session.add(
            Article(
                id=new_id(),
                workspace_id=ws_id,
                slug=item["slug"],
                title=item["title"],
                body=item["body"],
                audience=item.get("audience", "public"),
                tags=list(item.get("tags", [])),
            )
        )


def _customer(session: AsyncSession, ws_id: str, email: str, name: str, **kw: object) -> Customer:
    # The demo customers agreed to their conversations training the AI (the learning
    # loop needs consents["training"]; customers created by a chat have no consent recorded).
    consents = {"marketing": False, "training": True}
    c = Customer(id=new_id(), workspace_id=ws_id, email=email, name=name, consents=consents, **kw)
    session.add(c)
    return c


def _order(
    children: list[object],
    ws_id: str,
    customer: Customer,
    number: str,
    status: str,
    today: date,
    *,
    rng: random.Random,
    days_ago: int = 3,
) -> None:
    item, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
    qty = rng.randint(1, 2)
    carrier = rng.choice(CARRIERS) if status in ("shipped", "delivered") else None
    children.append(
        DemoOrder(
            id=new_id(),
            workspace_id=ws_id,
            customer_id=customer.id,
            number=number,
            status=status,
            carrier=carrier,
            tracking_number=f"{carrier[:2].upper()}{rng.randint(10**9, 10**10 - 1)}"
            if carrier
            else None,
            expected_delivery=(today + timedelta(days=rng.randint(1, 4)))
            if status in ("processing", "shipped")
            else (today - timedelta(days=1) if status == "delivered" else None),
            total=round(price * qty, 2),
            items=[{"sku": item, "qty": qty, "price": price}],
            placed_at=datetime.combine(today - timedelta(days=days_ago), datetime.min.time()),
        )
    )


def _seed_named_customers(
    session: AsyncSession, ws_id: str, today: date, children: list[object]
) -> None:
    rng = random.Random(1001)
    alex = _customer(
        session,
        ws_id,
        "alex@example.com",
        "Alex Morgan",
        phone="+12025550100",
        lifetime_value=420.0,
    )
    children.append(
        DemoOrder(
            id=new_id(),
            workspace_id=ws_id,
            customer_id=alex.id,
            number="1001",
            status="shipped",
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            expected_delivery=today + timedelta(days=2),
            total=113.5,
            items=[
                {"sku": "Trail Backpack 30L", "qty": 1, "price": 89.0},
                {"sku": "Insulated Bottle", "qty": 1, "price": 24.5},
            ],
            placed_at=datetime.combine(today - timedelta(days=2), datetime.min.time()),
        )
    )
    children.append(
        DemoAccount(
            id=new_id(),
            workspace_id=ws_id,
            customer_id=alex.id,
            account_number="AC-1001",
            status="active",
            plan="Explorer",
            balance=0.0,
        )
    )
    vip = _customer(
        session,
        ws_id,
        "vip@example.com",
        "Victoria Price",
        phone="+12025550101",
        vip=True,
        lifetime_value=25_400.0,
    )
    _order(children, ws_id, vip, "1002", "processing", today, rng=rng, days_ago=1)
    children.append(
        DemoAccount(
            id=new_id(),
            workspace_id=ws_id,
            customer_id=vip.id,
            account_number="AC-1002",
            status="active",
            plan="Summit",
            balance=0.0,
        )
    )
    human = _customer(
        session,
        ws_id,
        "human@example.com",
        "Hugo Mills",
        phone="+12025550102",
        human_only=True,
        lifetime_value=310.0,
    )
    _order(children, ws_id, human, "1003", "delivered", today, rng=rng, days_ago=9)
    # a declined payment, so the failed-payment signal has someone to find
    _order(children, ws_id, human, "1000", "payment_failed", today, rng=rng, days_ago=1)
    children.append(
        DemoAccount(
            id=new_id(),
            workspace_id=ws_id,
            customer_id=human.id,
            account_number="AC-1003",
            status="active",
            plan="Explorer",
            balance=12.0,
        )
    )


def _seed_crowd(
    session: AsyncSession, ws_id: str, today: date, children: list[object]
) -> list[Customer]:
    rng = random.Random(2024)
    statuses = ["processing", "shipped", "shipped", "delivered", "delivered", "cancelled"]
    number = 1004
    crowd = []
    for i, (first, last) in enumerate(zip(FIRST, LAST, strict=True)):
        email = f"{first.lower().replace('á', 'a')}.{last.lower()}@example.com"
        c = _customer(
            session,
            ws_id,
            email,
            f"{first} {last}",
            phone=f"+120255502{i:02d}",
            vip=i % 11 == 5,
            lifetime_value=float(rng.randint(40, 4000)),
        )
        for _ in range(rng.randint(1, 2)):
            _order(
                children,
                ws_id,
                c,
                str(number),
                rng.choice(statuses),
                today,
                rng=rng,
                days_ago=rng.randint(1, 30),
            )
            number += 1
        children.append(
            DemoAccount(
                id=new_id(),
                workspace_id=ws_id,
                customer_id=c.id,
                account_number=f"AC-{2000 + i}",
                status="suspended" if i % 9 == 4 else "active",
                plan=rng.choice(["Explorer", "Summit"]),
                balance=float(rng.choice([0, 0, 15, 42])),
            )
        )
        crowd.append(c)
    return crowd


def _seed_slots(
    session: AsyncSession, ws_id: str, today: date, *, book_for: list[Customer]
) -> None:
    """A week of store appointment slots; every customer of the crowd has one booked."""
    booked = iter(book_for)
    for day in range(1, 8):
        d = today + timedelta(days=day)
        if d.weekday() == 6:
            continue
        for hour in (9, 10, 11, 14, 15, 16):
            for loc in LOCATIONS:
                customer = next(booked, None) if hour in (10, 15) else None
                session.add(
                    DemoAppointmentSlot(
                        id=new_id(),
                        workspace_id=ws_id,
                        location=loc,
                        duration_minutes=30,
                        starts_at=datetime.combine(d, datetime.min.time()) + timedelta(hours=hour),
                        customer_id=customer.id if customer else None,
                    )
                )
