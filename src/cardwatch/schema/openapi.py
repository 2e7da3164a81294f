"""The OpenAPI 3.0 document of the API, generated from the one contract file.

OpenAPI 3.0's schema objects share draft-04's keywords (boolean ``exclusiveMinimum``
included), so the contract is embedded as it is, less ``$schema`` and ``id``.
"""

from __future__ import annotations

from typing import Any

from cardwatch import __version__
from cardwatch.schema import contract_schema, label_schema, transaction_schema

__all__ = ["openapi_document"]

_DRAFT_ONLY_KEYWORDS = ("$schema", "id")

_PROBLEM = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string", "description": "What is wrong, naming the field."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
            "description": "The first problems found (at most ten).",
        },
        "error_count": {"type": "integer", "description": "How many problems there were."},
        "detail": {"type": "string", "description": "API Gateway's own validation message."},
    },
}

_CASE = {
    "type": "object",
    "required": ["transaction_id", "transaction", "assessed", "reasons", "features", "labels"],
    "properties": {
        "transaction_id": {"type": "string"},
        "transaction": {"type": "object", "description": "The stored transaction (public view)."},
        "decision": {"type": "string", "nullable": True, "enum": ["approve", "review", "block"]},
        "assessed": {"type": "boolean"},
        "score": {"type": "number", "nullable": True},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "features": {
            "type": "object",
            "description": "The feature vector the engine scored, by the engine's names.",
            "additionalProperties": {"type": "number", "nullable": True},
        },
        "model_version": {"type": "string", "nullable": True},
        "assessed_at": {"type": "string", "nullable": True},
        "label": {
            "type": "object",
            "nullable": True,
            "description": "The effective label (the engine follows it).",
            "properties": {"label": {"type": "string"}, "source": {"type": "string"}},
        },
        "labels": {
            "type": "array",
            "description": "Every label, oldest first.",
            "items": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "source": {"type": "string"},
                    "note": {"type": "string"},
                    "by": {"type": "string"},
                    "at_ms": {"type": "integer"},
                },
            },
        },
    },
}

_REVIEWS = {
    "type": "object",
    "required": ["reviews", "next_cursor"],
    "properties": {
        "reviews": {
            "type": "array",
            "description": "Flagged transactions no label has settled yet, newest first.",
            "items": {
                "type": "object",
                "required": ["transaction_id", "transaction", "decision", "reasons"],
                "properties": {
                    "transaction_id": {"type": "string"},
                    "transaction": {
                        "type": "object",
                        "description": "The stored transaction (public view).",
                    },
                    "decision": {"type": "string", "enum": ["review", "block"]},
                    "score": {"type": "number", "nullable": True},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                    "model_version": {"type": "string", "nullable": True},
                    "assessed_at": {"type": "string", "nullable": True},
                },
            },
        },
        "next_cursor": {
            "type": "string",
            "nullable": True,
            "description": "Pass as cursor for the next page; null on the last page.",
        },
    },
}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query-string parameter (a string on the wire)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


_LABEL_RECORDED = {
    "type": "object",
    "required": ["transaction_id", "label", "source", "effective", "labels", "status"],
    "properties": {
        "transaction_id": {"type": "string"},
        "label": {"type": "string", "enum": ["fraud", "genuine"]},
        "source": {"type": "string"},
        "effective": {
            "type": "object",
            "description": "The verdict the engine follows now, and whose it is.",
            "required": ["label", "source"],
            "properties": {"label": {"type": "string"}, "source": {"type": "string"}},
        },
        "labels": {"type": "integer", "description": "How many labels the transaction holds."},
        "status": {"type": "string", "enum": ["recorded"]},
    },
}

_ACCEPTED = {
    "type": "object",
    "required": ["transaction_id", "status", "transaction"],
    "properties": {
        "transaction_id": {"type": "string"},
        "status": {"type": "string", "enum": ["accepted"]},
        "transaction": {
            "type": "object",
            "description": "What was stored: money as an exact decimal string, the card as "
            "a token with BIN and last four, never the card number.",
            "required": [
                "transaction_id",
                "user_id",
                "amount",
                "currency",
                "timestamp",
                "timestamp_ms",
                "terminal_id",
                "card",
            ],
            "properties": {
                "amount": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"},
                "timestamp_ms": {"type": "integer"},
                "utc_offset_minutes": {
                    "type": "integer",
                    "description": "The offset the timestamp was written in, when not UTC: "
                    "hour, night and weekend are scored in that local time.",
                },
                "card": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {
                        "token": {"type": "string"},
                        "bin": {"type": "string"},
                        "last4": {"type": "string"},
                    },
                },
            },
        },
    },
}


_DECISION = {
    "type": "object",
    "required": [
        "transaction_id",
        "decision",
        "action",
        "score",
        "reasons",
        "model_version",
        "rules_version",
        "decided_at",
        "degraded",
    ],
    "properties": {
        "transaction_id": {"type": "string"},
        "decision": {
            "type": "string",
            "enum": ["approve", "review", "block"],
            "description": "approve: authorize; review: step up (a 3-D Secure challenge) "
            "or hold; block: decline.",
        },
        "action": {"type": "string", "description": "What the decision asks of the processor."},
        "score": {
            "type": "number",
            "nullable": True,
            "description": "The engine's fraud score, 0 to 1 (null: degraded, not scored).",
        },
        "reasons": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "detail"],
                "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
        "model_version": {"type": "string", "nullable": True},
        "rules_version": {
            "type": "string",
            "nullable": True,
            "description": "sha256: and the first 16 hex digits of the rules document.",
        },
        "decided_at": {"type": "string", "format": "date-time"},
        "degraded": {
            "type": "boolean",
            "description": "true: the detection state could not be read, and the "
            "deployment's policy answered (see policy); the transaction is scored after "
            "the fact.",
        },
        "policy": {"type": "string", "enum": ["fail-open", "fail-closed"]},
    },
}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def openapi_document(server_url: str | None = None) -> dict[str, Any]:
    """The API's OpenAPI 3.0.3 document; ``server_url`` names where it is served."""
    contract, label = transaction_schema(), label_schema()
    for keyword in _DRAFT_ONLY_KEYWORDS:
        contract.pop(keyword, None)
        label.pop(keyword, None)
    id_pattern = contract["properties"]["transaction_id"]["pattern"]
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "cardwatch transactions API",
            "version": __version__,
            "description": "Card transactions in; fraud alerts out.",
        },
        "paths": {
            "/transactions": {
                "post": {
                    "operationId": "postTransaction",
                    "summary": "Submit a card transaction for storage and fraud scoring",
                    "security": [{"apiKey": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Transaction"}
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Accepted (a repeat is answered the same way)",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/TransactionAccepted"}
                                }
                            },
                        },
                        "400": _problem_response("The body breaks the contract"),
                        "403": _problem_response(
                            "No key, an unknown key, or the analysts' (labels only)"
                        ),
                        "409": _problem_response("transaction_id reused with other content"),
                        "413": _problem_response("Body too large"),
                        "415": _problem_response("Content-Type is not application/json"),
                        "429": _problem_response("Throttled or over quota"),
                        "503": _problem_response("Storage busy; retry the same request"),
                    },
                }
            },
            "/decisions": {
                "post": {
                    "operationId": "postDecision",
                    "summary": "Decide a card transaction now, at authorization time: score "
                    "it, store it with the decision, answer the decision",
                    "security": [{"apiKey": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Transaction"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The decision of record (a repeat answers the "
                            "recorded one, with Idempotent-Replayed: true)",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Decision"}
                                }
                            },
                        },
                        "400": _problem_response("The body breaks the contract"),
                        "403": _problem_response(
                            "No key, an unknown key, or a label key (the processor's only)"
                        ),
                        "409": _problem_response(
                            "transaction_id reused with other content, or accepted by "
                            "POST /transactions (decided after the fact)"
                        ),
                        "413": _problem_response("Body too large"),
                        "415": _problem_response("Content-Type is not application/json"),
                        "429": _problem_response("Throttled or over quota"),
                        "503": _problem_response(
                            "Storage busy: nothing was decided; retry the same request"
                        ),
                    },
                }
            },
            "/transactions/{transaction_id}": {
                "get": {
                    "operationId": "getCase",
                    "summary": "A transaction's case: decision, reasons, features, labels "
                    "(signed by a console role)",
                    "security": [{"sigv4": []}],
                    "parameters": [
                        {
                            "name": "transaction_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": id_pattern},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The case",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Case"}
                                }
                            },
                        },
                        "400": _problem_response("The id breaks the contract"),
                        "403": _problem_response("Not signed by a console role allowed the route"),
                        "404": _problem_response("No stored transaction has this id"),
                        "429": _problem_response("Throttled"),
                        "503": _problem_response("Storage busy; retry"),
                    },
                }
            },
            "/reviews": {
                "get": {
                    "operationId": "getReviews",
                    "summary": "The open review queue: flagged transactions no label has "
                    "settled, newest first, a page at a time (signed by a console role)",
                    "security": [{"sigv4": []}],
                    "parameters": [
                        _query("decision", "Only this decision", {"enum": ["review", "block"]}),
                        _query(
                            "since",
                            "Transactions at or after (ISO 8601; default 30 days before until)",
                            {"format": "date-time"},
                        ),
                        _query(
                            "until",
                            "Transactions at or before (ISO 8601; default now)",
                            {"format": "date-time"},
                        ),
                        _query(
                            "limit",
                            "Cases on the page (default 25)",
                            {"pattern": "^[0-9]+$"},
                        ),
                        _query("cursor", "The previous page's next_cursor", {}),
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of the queue",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ReviewPage"}
                                }
                            },
                        },
                        "400": _problem_response("A query parameter breaks its rule"),
                        "403": _problem_response("Not signed by a console role allowed the route"),
                        "429": _problem_response("Throttled"),
                        "503": _problem_response("Storage busy; retry"),
                    },
                }
            },
            "/transactions/{transaction_id}/label": {
                "post": {
                    "operationId": "postLabel",
                    "summary": "Label a stored transaction (a verdict import's or the "
                    "disputes feed's key)",
                    "description": label["description"],
                    "security": [{"analystApiKey": []}],
                    "parameters": [
                        {
                            "name": "transaction_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": id_pattern},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Label"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Recorded (the same label again is answered the "
                            "same way, with Idempotent-Replayed: true)",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/LabelRecorded"}
                                }
                            },
                        },
                        "400": _problem_response("The body or the id breaks the contract"),
                        "403": _problem_response(
                            "Not a label channel's key, or a source it cannot speak for"
                        ),
                        "404": _problem_response("No stored transaction has this id"),
                        "409": _problem_response("The transaction holds too many labels"),
                        "415": _problem_response("Content-Type is not application/json"),
                        "429": _problem_response("Throttled"),
                        "503": _problem_response("Storage busy; retry the same request"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Transaction": contract,
                "Problem": _PROBLEM,
                "TransactionAccepted": _ACCEPTED,
                "Decision": _DECISION,
                "Label": label,
                "LabelRecorded": _LABEL_RECORDED,
                "Case": _CASE,
                "ReviewPage": _REVIEWS,
            },
            "securitySchemes": {
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-api-key",
                    "description": "The processor's key: submits transactions.",
                },
                "sigv4": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                    "description": "A person's own AWS identity: the request signed with "
                    "Signature Version 4 for execute-api by a session of a console role "
                    "(viewer, analyst, lead); the caller is recorded as the author.",
                },
                "analystApiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-api-key",
                    "description": "A verdict import's key (a machine integration, its own "
                    "usage plan): analyst labels posted by another case tool. People sign "
                    "their requests instead.",
                },
            },
        },
    }
    action = contract_schema("case_action")
    for keyword in _DRAFT_ONLY_KEYWORDS:
        action.pop(keyword, None)
    document["components"]["schemas"]["CaseAction"] = action
    document["components"]["schemas"]["CaseWhole"] = _CASE_WHOLE
    document["components"]["schemas"]["CasePage"] = _CASE_PAGE
    document["paths"].update(_case_paths(id_pattern))
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


#: a case whole (GET and POST /cases/{case_id}) and a page of cases (GET /cases)
_CASE_WHOLE: dict[str, Any] = {
    "type": "object",
    "required": ["case_id", "kind", "status", "transactions", "notes", "history", "version"],
    "properties": {
        "case_id": {"type": "string"},
        "kind": {"type": "string", "enum": ["card", "terminal", "bin"]},
        "title": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "assigned", "closed"]},
        "assignee": {"type": "string", "nullable": True},
        "outcome": {"type": "string", "nullable": True},
        "decision": {"type": "string"},
        "transaction_count": {"type": "integer"},
        "transactions": {"type": "array", "items": {"type": "object"}},
        "notes": {"type": "array", "items": {"type": "object"}},
        "history": {"type": "array", "items": {"type": "object"}},
        "version": {"type": "integer"},
    },
}
_CASE_PAGE: dict[str, Any] = {
    "type": "object",
    "required": ["cases", "next_cursor"],
    "properties": {
        "cases": {"type": "array", "items": {"type": "object"}},
        "total": {"type": "integer", "nullable": True},
        "next_cursor": {"type": "string", "nullable": True},
    },
}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _case_paths(id_pattern: str) -> dict[str, Any]:
    """The analysts' case routes."""
    case_id = {
        "name": "case_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": id_pattern},
    }
    refusals = {
        "400": _problem_response("A parameter or the body breaks its rule"),
        "403": _problem_response("Not an analyst"),
        "404": _problem_response("No such case"),
        "429": _problem_response("Throttled"),
        "503": _problem_response("Storage busy; retry the same request"),
    }
    search = [
        _query(name, text, {})
        for name, text in (
            ("card", "A card's BIN and last four (BIN:last4)"),
            ("token", "A card's token"),
            ("user", "A card holder's user id"),
            ("terminal", "A terminal id"),
            ("merchant", "A merchant id"),
            ("bin", "A BIN"),
        )
    ] + [
        _query(
            "status",
            "A status's queue (open unless a search says otherwise)",
            {"enum": ["open", "assigned", "closed"]},
        ),
        _query("decision", "Only cases of this decision", {"enum": ["review", "block"]}),
        _query("sort", "newest (default) or oldest first", {"enum": ["newest", "oldest"]}),
        _query("since", "Opened at or after (ISO 8601)", {"format": "date-time"}),
        _query("until", "Opened at or before (ISO 8601)", {"format": "date-time"}),
        _query("limit", "Cases on the page (default 25)", {"pattern": "^[0-9]+$"}),
        _query("cursor", "The previous page's next_cursor", {}),
    ]
    return {
        "/cases": {
            "get": {
                "operationId": "getCases",
                "summary": "Cases: search by card, token, user, terminal, merchant or BIN, or a "
                "status's queue with its total, a page at a time",
                "security": [{"sigv4": []}],
                "parameters": search,
                "responses": {"200": _json("A page of cases", "CasePage"), **refusals},
            }
        },
        "/cases/{case_id}": {
            "get": {
                "operationId": "getCaseWhole",
                "summary": "A case whole: its transactions with labels, reasons and "
                "features in words, its notes and history",
                "security": [{"sigv4": []}],
                "parameters": [case_id],
                "responses": {"200": _json("The case", "CaseWhole"), **refusals},
            },
            "post": {
                "operationId": "postCaseAction",
                "summary": "Change a case: label it (whole or chosen transactions), "
                "note, assign, unassign, close, reopen; the caller is its author",
                "security": [{"sigv4": []}],
                "parameters": [case_id],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/CaseAction"}}
                    },
                },
                "responses": {
                    "200": _json("The case after the change", "CaseWhole"),
                    **refusals,
                    "409": _problem_response("The case's state does not allow it"),
                    "415": _problem_response("Content-Type is not application/json"),
                },
            },
        },
    }
