"""Macros (saved replies with placeholders and actions) and automation rules.

``service`` holds the macros (CRUD, rendering, applying), ``actions`` the action kinds a macro
or a rule may run (one registry: a new kind such as ``tag`` is one ``register`` call),
``automation`` the rule engine (events tailed from the log, the "no agent reply" sweep) and
``endpoints`` the API under ``/api/v1/macros`` and ``/api/v1/automation/rules``."""
