"""ORM tables, one file per table; importing this package registers them all on the metadata."""

from hybridcx.models.agent import Agent
from hybridcx.models.agent_presence import AgentPresence
from hybridcx.models.article import Article
from hybridcx.models.base import Base
from hybridcx.models.case import Case
from hybridcx.models.conversation import Conversation
from hybridcx.models.conversation_event import ConversationEvent
from hybridcx.models.customer import Customer
from hybridcx.models.demo_backend import DemoAccount, DemoAppointmentSlot, DemoOrder, DemoOutbox
from hybridcx.models.inbox import Inbox

# issue 10, learning from human resolutions
from hybridcx.models.intent_cluster import IntentCluster
from hybridcx.models.message import Message
from hybridcx.models.staff_token import StaffToken
from hybridcx.models.training_example import TrainingExample
from hybridcx.models.workspace import Workspace

__all__ = [
    "Agent",
    "Article",
    "DemoOutbox",
    "AgentPresence",
    "Base",
    "Case",
    "Conversation",
    "ConversationEvent",
    "Customer",
    "DemoAccount",
    "DemoAppointmentSlot",
    "DemoOrder",
    "Inbox",
    "IntentCluster",
    "Message",
    "StaffToken",
    "TrainingExample",
    "Workspace",
]
