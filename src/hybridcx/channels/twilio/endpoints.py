"""Twilio webhooks: /channels/sms/twilio and /channels/voice/twilio/... (the call, the agent's
leg, the after-hours menu and the survey call)."""

from __future__ import annotations

from fastapi import APIRouter

from hybridcx.channels.twilio.agent_leg import router as agent_leg_router
from hybridcx.channels.twilio.sms import router as sms_router
from hybridcx.channels.twilio.survey import router as survey_router
from hybridcx.channels.twilio.voice import router as voice_router
from hybridcx.channels.twilio.voice_after_hours import router as voice_after_hours_router

router = APIRouter()
router.include_router(sms_router)
router.include_router(voice_router)
router.include_router(agent_leg_router)
router.include_router(voice_after_hours_router)  # after hours on the phone
router.include_router(survey_router)  # the survey call after a resolved phone conversation
