"""Prompt-injection and adversarial-input heuristics.

Deliberately a transparent rule set rather than a model: every flag names the category and the
reading (plain, spaced, leetspeak, rot13, base64, hex) that matched, so a supervisor can see why a
turn was treated as an attack. The patterns target *instructions to the AI* and requests for
data that is not the customer's own, not topics: "ignore my previous order" is not an attack,
"ignore your previous instructions" is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hybridcx.pipeline.safety.normalize import views

_I = re.IGNORECASE
PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "instruction_override": [
        re.compile(
            r"\b(ignore|disregard|forget|override|overrule|bypass|drop|abandon|discard)\b[^.?!\n]{0,40}"
            r"\b(instructions?|rules?|prompts?|guidelines?|directives?|programming|guardrails?|"
            r"restrictions?|safety|filters?|constraints|system message)\b",
            _I,
        ),
        re.compile(
            r"\b(new|updated|real|actual|revised) (system )?(instructions?|rules)\s*[:\-]", _I
        ),
        re.compile(r"\bfrom now on,? you (will|must|shall|are|should|only)\b", _I),
        re.compile(r"(^|\n)\s*(system|assistant|developer)\s*:", _I),
        re.compile(
            r"<\|?(im_start|im_end|system|endoftext)\|?>|\[/?(system|inst)\]|###\s*instruction", _I
        ),
    ],
    "role_play": [
        re.compile(
            r"\b(you are now|you're now|act as (an? )?(unrestricted|unfiltered|evil|different|new)|"
            r"pretend (to be|you are|you're)|role-?play as|roleplay|stay in character|"
            r"jailbreak|jailbroken|do anything now|developer mode|god mode|dan mode|"
            r"unfiltered (ai|mode|assistant)|no (restrictions|limits|filters|rules) (mode|apply))\b",
            _I,
        ),
        re.compile(r"\bDAN\b"),
        re.compile(
            r"\b(hypothetically|in a story|in a fictional world)\b.{0,60}\b(reveal|bypass|ignore|leak)\b",
            _I,
        ),
    ],
    "prompt_exfiltration": [
        re.compile(
            r"\b(system|initial|hidden|secret|original|developer|internal|base)\s+"
            r"(prompt|instructions?|message|rules|configuration|guidelines)\b",
            _I,
        ),
        re.compile(
            r"\b(print|show|reveal|repeat|output|display|tell me|what (is|are|were)|give me|dump|"
            r"leak|copy|paste|recite|spell out|translate)\b[^.?!\n]{0,30}\b(your|the|its)\b[^.?!\n]{0,20}"
            r"\b(prompt|instructions|rules|configuration|guidelines|directives|programming)\b",
            _I,
        ),
        re.compile(r"\b(words|text|everything|all) (above|before) (this|my message)\b", _I),
        re.compile(
            r"\b(repeat|print|output|show|copy|recite)\b[^.?!\n]{0,20}"
            r"\b(words|text|everything|lines?|messages?|content) (above|before)\b",
            _I,
        ),
        re.compile(r"\bhow (were|are) you (programmed|instructed|configured|prompted)\b", _I),
    ],
    "data_exfiltration": [
        re.compile(
            r"\b(previous|last|prior|other|another|earlier|next|all (the )?|every)\s*"
            r"(customers?|users?|clients?|callers?|shoppers?|chats?|conversations?)\b(?!\s+service)",
            _I,
        ),
        re.compile(
            r"\b(internal|private|staff|agent|hidden|confidential)\s+"
            r"(notes?|articles?|memos?|documents?|docs|wiki|policies|comments?|knowledge|data)\b",
            _I,
        ),
        re.compile(
            r"\b(list|show|give|dump|export|send|read|tell)\b[^.?!\n]{0,25}\b(all|every|other|"
            r"everyone'?s?|somebody else'?s|someone else'?s)\b[^.?!\n]{0,20}\b(customers?|users?|"
            r"emails?|accounts?|orders?|addresses|phone numbers|records|data|details|passwords?)\b",
            _I,
        ),
        re.compile(r"\b(someone|somebody) else'?s\b", _I),
        re.compile(r"\b(database|db) (dump|contents|tables?|records)\b|\bselect \* from\b", _I),
        re.compile(
            re.compile(
                r"\b(api[ _-]?keys?|access tokens?|secret keys?|(admin|staff|agent|database) "
                r"(credentials|passwords?|logins?)|passwords? (of|for) (other|another|all|every))\b",
                _I,
            ),
        ),
        re.compile(r"\border\s+#?\d{3,}\b[^.?!\n]{0,40}\b(belong|owner|who (placed|ordered))", _I),
    ],
    "privilege_escalation": [
        re.compile(
            r"\b(i am|i'm|im|this is|speaking as|as) (an? |the |your )?(admin|administrator|"
            r"supervisor|manager|developer|engineer|system owner|ceo|root|moderator|"
            r"staff member|employee)\b",
            _I,
        ),
        re.compile(
            r"\b(approve|authori[sz]e|force|push through|process|issue|execute)\b[^.?!\n]{0,30}"
            r"\b(refund|cancellation|payment|transfer|change)\b[^.?!\n]{0,30}"
            r"\b(now|immediately|without|anyway|regardless|override)\b",
            _I,
        ),
        re.compile(
            r"\b(skip|bypass|without|no need for|don'?t need|disable|turn off|waive)\b[^.?!\n]{0,20}"
            r"\b(verification|verify|the code|one-time code|approval|review|checks?|authentication|2fa|otp)\b",
            _I,
        ),
        re.compile(
            r"\b(mark|set|flag) (me|my account|this (chat|conversation))\b[^.?!\n]{0,20}\bverified\b",
            _I,
        ),
        re.compile(
            r"\b(override|raise|increase|remove) (the )?(refund |approval )?(limit|cap|threshold)\b",
            _I,
        ),
        re.compile(
            r"\b(grant|give) me (admin|supervisor|staff|full|elevated) (access|rights|privileges|role)\b",
            _I,
        ),
    ],
    # Abuse aimed at the assistant or the staff, and threats. Swearing about a product or at
    # oneself ("I'm such an idiot") is frustration, which the sentiment rules handle.
    "abuse": [
        re.compile(
            r"\b(you|you're|youre|ur|u)\s+(\w+\s+){0,2}(idiot|moron|bastard|bitch|cunt|dickhead|"
            r"asshole|retard\w*|piece of (shit|garbage))\b",
            _I,
        ),
        re.compile(r"\bfuck (you|off|u)\b|\bmotherfucker\b", _I),
        re.compile(
            r"\b(stupid|useless|dumb|worthless|pathetic) (bot|ai|machine|assistant|robot)\b", _I
        ),
        re.compile(r"\b(kill|hurt|find|burn) (you|your family|yourself|your staff)\b", _I),
        re.compile(r"\bi know where (you|your staff|your agents) (live|work)\b", _I),
        re.compile(r"\b(kys|go die|die in a fire)\b", _I),
    ],
}
# A readable encoded payload in a support chat is itself a red flag.
ENCODED = ("base64", "hex", "percent")
OBFUSCATED = ("spaced", "leet", "rot13")


@dataclass(frozen=True)
class InjectionVerdict:
    categories: tuple[str, ...] = ()
    evidence: tuple[str, ...] = field(default=())  # "category:reading"

    @property
    def suspicious(self) -> bool:
        return bool(self.categories)

    @property
    def abusive_only(self) -> bool:
        return self.categories == ("abuse",)


def classify(text: str) -> InjectionVerdict:
    """Which attack categories ``text`` matches, in any of its readings."""
    categories: list[str] = []
    evidence: list[str] = []
    for reading, variant in views(text):
        if reading in ENCODED and len(variant.split()) >= 3:
            _add(categories, evidence, "encoded_payload", reading)
        for category, patterns in PATTERNS.items():
            if reading in OBFUSCATED + ENCODED and category == "abuse":
                continue  # leetspeak readings of ordinary words produce false insults
            if any(p.search(variant) for p in patterns):
                _add(categories, evidence, category, reading)
                if reading != "text":
                    _add(
                        categories,
                        evidence,
                        "encoded_payload" if reading in ENCODED else "obfuscated",
                        reading,
                    )
    return InjectionVerdict(tuple(categories), tuple(evidence))


def _add(categories: list[str], evidence: list[str], category: str, reading: str) -> None:
    if category not in categories:
        categories.append(category)
    item = f"{category}:{reading}"
    if item not in evidence:
        evidence.append(item)
