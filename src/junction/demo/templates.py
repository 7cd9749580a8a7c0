"""The demo's two templates, as template documents (what ``POST /v1.0/templates`` takes).

Both move CRM contacts to the mailer::

    new (trigger) -> active (Decision: new.Status Equals "active")
        True  -> add  (Add Subscriber: Email <- new.Email, FullName <- new.Name,
                       List <- variable ListName)
        False -> skip (Stop)

The scheduled one asks the CRM for new contacts every minute (Get trigger with
LastSuccessfulRunDate) and adds them to the "newsletter" list; the webhook one is called by
the CRM for each new contact and adds it to the "welcome" list.
"""

from __future__ import annotations

from typing import Any

CRM_CONNECTOR = "Demo CRM"
MAILER_CONNECTOR = "Demo Mailer"
SCHEDULED_NAME = "Demo: new CRM contacts to the newsletter (every minute)"
WEBHOOK_NAME = "Demo: welcome new CRM contacts (webhook)"


def _flow(name: str, description: str, trigger: str, list_id: str) -> dict[str, Any]:
    def from_new(field: str) -> dict[str, Any]:
        return {"MappingType": "StepData", "SourceStepKey": "new", "SourceField": field}

    return {
        "Name": name,
        "Description": description,
        "Tags": ["demo"],
        "Variables": [{"SystemName": "ListName", "Value": list_id}],
        "Steps": [
            {
                "Key": "new",
                "Name": "New CRM contact",
                "ConnectorName": CRM_CONNECTOR,
                "MethodUniqueIdentifier": trigger,
            },
            {
                "Key": "active",
                "Name": "Active contact?",
                "StepType": "Decision",
                "Conditions": [
                    {
                        "Left": from_new("Status"),
                        "Operator": "Equals",
                        "Right": {"MappingType": "StaticValue", "Value": "active"},
                    }
                ],
            },
            {
                "Key": "add",
                "Name": "Add mailing-list subscriber",
                "ConnectorName": MAILER_CONNECTOR,
                "MethodUniqueIdentifier": "subscriber-add",
                "FieldMappings": [
                    {"Name": "Email", **from_new("Email")},
                    {"Name": "FullName", **from_new("Name")},
                    {"Name": "List", "MappingType": "Variable", "VariableName": "ListName"},
                ],
            },
            {"Key": "skip", "Name": "Inactive: stop", "StepType": "Stop"},
        ],
        "Edges": [
            {"TailStepKey": "new", "HeadStepKey": "active"},
            {"TailStepKey": "active", "HeadStepKey": "add", "EdgeType": "True"},
            {"TailStepKey": "active", "HeadStepKey": "skip", "EdgeType": "False"},
        ],
    }


def scheduled_sync() -> dict[str, Any]:
    return _flow(
        SCHEDULED_NAME,
        "Every minute, adds the CRM's new active contacts to the newsletter list.",
        "contacts-new",
        "newsletter",
    )


def webhook_flow() -> dict[str, Any]:
    return _flow(
        WEBHOOK_NAME,
        "The CRM calls this for each new contact; active ones join the welcome list.",
        "contact-created",
        "welcome",
    )
