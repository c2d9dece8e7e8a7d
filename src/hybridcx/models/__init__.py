"""ORM tables, one file per table; importing this package registers them all on the metadata."""

from hybridcx.models.agent import Agent
from hybridcx.models.agent_presence import AgentPresence
from hybridcx.models.agent_shift import AgentShift
from hybridcx.models.approval import Approval  # held consequential AI actions
from hybridcx.models.article import Article

# audit log and outbound webhooks
from hybridcx.models.audit_entry import AuditEntry  # noqa: E402
from hybridcx.models.base import Base
from hybridcx.models.business_hours import BusinessHours  # business hours
from hybridcx.models.case import Case
from hybridcx.models.conversation import Conversation
from hybridcx.models.conversation_event import ConversationEvent
from hybridcx.models.custom_field import CustomFieldDefinition, CustomFieldValue  # noqa: E402
from hybridcx.models.customer import Customer
from hybridcx.models.customer_profile import CustomerIdentity, CustomerMerge
from hybridcx.models.demo_backend import DemoAccount, DemoAppointmentSlot, DemoOrder, DemoOutbox

# channels: email (hybridcx.channels.email)
from hybridcx.models.email_draft import EmailDraft
from hybridcx.models.email_message import EmailRecord
from hybridcx.models.erasure_request import ErasureRequest  # privacy
from hybridcx.models.event_outbox import EventOutboxRow

# experiments and rollout
from hybridcx.models.experiment import Experiment
from hybridcx.models.experiment_assignment import ExperimentAssignment
from hybridcx.models.inbox import Inbox
from hybridcx.models.integration_connector import IntegrationConnector  # noqa: E402
from hybridcx.models.integration_sync import IntegrationSync  # noqa: E402

# learning from human resolutions
from hybridcx.models.intent_cluster import IntentCluster
from hybridcx.models.login_failure import LoginFailure
from hybridcx.models.macro import AutomationCursor, AutomationFiring, AutomationRule, Macro
from hybridcx.models.message import Message
from hybridcx.models.outreach import OutreachCampaign, OutreachSend  # noqa: E402
from hybridcx.models.quality_score import QualityScore
from hybridcx.models.script import Script, ScriptSettings  # noqa: E402 (scripts)
from hybridcx.models.search_token import SearchToken  # noqa: E402
from hybridcx.models.server_process import ServerProcess  # noqa: E402
from hybridcx.models.sla_policy import SlaPolicy  # SLA policies
from hybridcx.models.sso import MfaChallenge, OidcLogin, SsoProvider  # SSO, MFA
from hybridcx.models.sso_handoff import SsoHandoff  # SSO one-time handoff code
from hybridcx.models.staff_token import StaffToken

# tags, custom fields and the search index
from hybridcx.models.tag import ConversationTag, CustomerTag, Tag  # noqa: E402
from hybridcx.models.training_example import TrainingExample
from hybridcx.models.webhook_delivery import WebhookDelivery  # noqa: E402
from hybridcx.models.webhook_endpoint import WebhookEndpoint  # noqa: E402
from hybridcx.models.workspace import Workspace

__all__ = [
    "Agent",
    "Approval",
    "Article",
    "DemoOutbox",
    "AgentPresence",
    "AgentShift",
    "Base",
    "BusinessHours",
    "Case",
    "Conversation",
    "ConversationEvent",
    "Customer",
    "DemoAccount",
    "DemoAppointmentSlot",
    "DemoOrder",
    "EmailDraft",
    "EventOutboxRow",
    "EmailRecord",
    "Experiment",
    "ExperimentAssignment",
    "Inbox",
    "IntegrationConnector",
    "IntegrationSync",
    "IntentCluster",
    "LoginFailure",
    "Message",
    "QualityScore",
    "ServerProcess",
    "SlaPolicy",
    "StaffToken",
    "SsoProvider",
    "SsoHandoff",
    "OidcLogin",
    "MfaChallenge",
    "TrainingExample",
    "Workspace",
    "ErasureRequest",
    "AuditEntry",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Macro",  # macros and automation rules
    "AutomationRule",
    "AutomationFiring",
    "AutomationCursor",
    "Tag",
    "ConversationTag",
    "CustomerTag",
    "CustomFieldDefinition",
    "CustomFieldValue",
    "SearchToken",
    "OutreachCampaign",  # proactive outreach
    "OutreachSend",
    "Script",  # agent scripts
    "ScriptSettings",
    "CustomerIdentity",  # one customer profile
    "CustomerMerge",
]
