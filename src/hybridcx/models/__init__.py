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

# experiments and rollout (issue 10)
from hybridcx.models.experiment import Experiment
from hybridcx.models.experiment_assignment import ExperimentAssignment
from hybridcx.models.inbox import Inbox
from hybridcx.models.message import Message
from hybridcx.models.staff_token import StaffToken
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
    "Experiment",
    "ExperimentAssignment",
    "Inbox",
    "Message",
    "StaffToken",
    "Workspace",
]
