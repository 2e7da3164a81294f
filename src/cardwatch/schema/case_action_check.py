# Generated from case_action.schema.json by `make contract-checks`
# (cardwatch.cli.contract_checks, fastjsonschema 2.22.3).
# Do not edit: a test fails when this differs from what the schema gives now.
# mypy: ignore-errors
VERSION = "2.22.3"
from decimal import Decimal
import re
from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException


REGEX_PATTERNS = {
    '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$': re.compile('^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\\Z'),
    '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$': re.compile('^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}\\Z'),
    '^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$': re.compile('^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)\\Z')
}

NoneType = type(None)

def validate_urn_cardwatch_schema_case_action(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-04/schema#', 'id': 'urn:cardwatch:schema:case_action', 'title': 'CaseAction', 'description': "One change to a case, sent to POST /cases/{case_id} by an analyst signed in with their own AWS identity (the caller is recorded as its author). label: a verdict on the whole case, or on the chosen transaction_ids, optionally closing it with that verdict as its outcome. note: a line in the case's thread. assign: to the caller, or to assignee. unassign. close: with an outcome. reopen: a closed case. With version, an action applies only to the case as the analyst read it.", 'type': 'object', 'additionalProperties': False, 'required': ['action'], 'properties': {'action': {'description': 'label, note, assign, unassign, close or reopen', 'type': 'string', 'enum': ['label', 'note', 'assign', 'unassign', 'close', 'reopen']}, 'label': {'description': 'label: fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, 'transaction_ids': {'description': 'label: the transactions of the case to label (all of them when absent)', 'type': 'array', 'minItems': 1, 'maxItems': 500, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}}, 'close': {'description': 'label: close the case too, with the label as its outcome', 'type': 'boolean'}, 'note': {'description': 'note: the line to add; label, close: a line added with it. Free text for the case file; never a card number.', 'type': 'string', 'minLength': 1, 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, 'assignee': {'description': "assign: who takes the case (an IAM principal's ARN, or me: the caller)", 'type': 'string', 'minLength': 1, 'maxLength': 256, 'pattern': '^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$'}, 'outcome': {'description': 'close: fraud, genuine, mixed or no_action', 'type': 'string', 'enum': ['fraud', 'genuine', 'mixed', 'no_action']}, 'version': {'description': "any action: the case's version the analyst read (its answer's version); the action is refused (409) when the case has changed since", 'type': 'integer', 'minimum': 0, 'maximum': 1000000}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['action']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-04/schema#', 'id': 'urn:cardwatch:schema:case_action', 'title': 'CaseAction', 'description': "One change to a case, sent to POST /cases/{case_id} by an analyst signed in with their own AWS identity (the caller is recorded as its author). label: a verdict on the whole case, or on the chosen transaction_ids, optionally closing it with that verdict as its outcome. note: a line in the case's thread. assign: to the caller, or to assignee. unassign. close: with an outcome. reopen: a closed case. With version, an action applies only to the case as the analyst read it.", 'type': 'object', 'additionalProperties': False, 'required': ['action'], 'properties': {'action': {'description': 'label, note, assign, unassign, close or reopen', 'type': 'string', 'enum': ['label', 'note', 'assign', 'unassign', 'close', 'reopen']}, 'label': {'description': 'label: fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, 'transaction_ids': {'description': 'label: the transactions of the case to label (all of them when absent)', 'type': 'array', 'minItems': 1, 'maxItems': 500, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}}, 'close': {'description': 'label: close the case too, with the label as its outcome', 'type': 'boolean'}, 'note': {'description': 'note: the line to add; label, close: a line added with it. Free text for the case file; never a card number.', 'type': 'string', 'minLength': 1, 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, 'assignee': {'description': "assign: who takes the case (an IAM principal's ARN, or me: the caller)", 'type': 'string', 'minLength': 1, 'maxLength': 256, 'pattern': '^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$'}, 'outcome': {'description': 'close: fraud, genuine, mixed or no_action', 'type': 'string', 'enum': ['fraud', 'genuine', 'mixed', 'no_action']}, 'version': {'description': "any action: the case's version the analyst read (its answer's version); the action is refused (409) when the case has changed since", 'type': 'integer', 'minimum': 0, 'maximum': 1000000}}}, rule='required')
        data_keys = set(data.keys())
        if "action" in data_keys:
            data_keys.remove("action")
            data__action = data["action"]
            if not isinstance(data__action, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".action must be string", value=data__action, name="" + (name_prefix or "data") + ".action", definition={'description': 'label, note, assign, unassign, close or reopen', 'type': 'string', 'enum': ['label', 'note', 'assign', 'unassign', 'close', 'reopen']}, rule='type')
            if not (isinstance(data__action, str) and data__action == 'label' or isinstance(data__action, str) and data__action == 'note' or isinstance(data__action, str) and data__action == 'assign' or isinstance(data__action, str) and data__action == 'unassign' or isinstance(data__action, str) and data__action == 'close' or isinstance(data__action, str) and data__action == 'reopen'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".action must be one of ['label', 'note', 'assign', 'unassign', 'close', 'reopen']", value=data__action, name="" + (name_prefix or "data") + ".action", definition={'description': 'label, note, assign, unassign, close or reopen', 'type': 'string', 'enum': ['label', 'note', 'assign', 'unassign', 'close', 'reopen']}, rule='enum')
        if "label" in data_keys:
            data_keys.remove("label")
            data__label = data["label"]
            if not isinstance(data__label, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".label must be string", value=data__label, name="" + (name_prefix or "data") + ".label", definition={'description': 'label: fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, rule='type')
            if not (isinstance(data__label, str) and data__label == 'fraud' or isinstance(data__label, str) and data__label == 'genuine'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".label must be one of ['fraud', 'genuine']", value=data__label, name="" + (name_prefix or "data") + ".label", definition={'description': 'label: fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, rule='enum')
        if "transaction_ids" in data_keys:
            data_keys.remove("transaction_ids")
            data__transactionids = data["transaction_ids"]
            if not isinstance(data__transactionids, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".transaction_ids must be array", value=data__transactionids, name="" + (name_prefix or "data") + ".transaction_ids", definition={'description': 'label: the transactions of the case to label (all of them when absent)', 'type': 'array', 'minItems': 1, 'maxItems': 500, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}}, rule='type')
            data__transactionids_is_list = isinstance(data__transactionids, (list, tuple))
            if data__transactionids_is_list:
                data__transactionids_len = len(data__transactionids)
                if data__transactionids_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".transaction_ids must contain at least 1 items", value=data__transactionids, name="" + (name_prefix or "data") + ".transaction_ids", definition={'description': 'label: the transactions of the case to label (all of them when absent)', 'type': 'array', 'minItems': 1, 'maxItems': 500, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}}, rule='minItems')
                if data__transactionids_len > 500:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".transaction_ids must contain less than or equal to 500 items", value=data__transactionids, name="" + (name_prefix or "data") + ".transaction_ids", definition={'description': 'label: the transactions of the case to label (all of them when absent)', 'type': 'array', 'minItems': 1, 'maxItems': 500, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}}, rule='maxItems')
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                if data__transactionids_len > len(set(fn(data__transactionids_x) for data__transactionids_x in data__transactionids)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".transaction_ids must contain unique items", value=data__transactionids, name="" + (name_prefix or "data") + ".transaction_ids", definition={'description': 'label: the transactions of the case to label (all of them when absent)', 'type': 'array', 'minItems': 1, 'maxItems': 500, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}}, rule='uniqueItems')
                for data__transactionids_x, data__transactionids_item in enumerate(data__transactionids):
                    if not isinstance(data__transactionids_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".transaction_ids[{data__transactionids_x}]".format(**locals()) + " must be string", value=data__transactionids_item, name="" + (name_prefix or "data") + ".transaction_ids[{data__transactionids_x}]".format(**locals()) + "", definition={'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}, rule='type')
                    if isinstance(data__transactionids_item, str):
                        if not REGEX_PATTERNS['^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'].search(data__transactionids_item):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".transaction_ids[{data__transactionids_x}]".format(**locals()) + " must match pattern ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", value=data__transactionids_item, name="" + (name_prefix or "data") + ".transaction_ids[{data__transactionids_x}]".format(**locals()) + "", definition={'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}, rule='pattern')
        if "close" in data_keys:
            data_keys.remove("close")
            data__close = data["close"]
            if not isinstance(data__close, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".close must be boolean", value=data__close, name="" + (name_prefix or "data") + ".close", definition={'description': 'label: close the case too, with the label as its outcome', 'type': 'boolean'}, rule='type')
        if "note" in data_keys:
            data_keys.remove("note")
            data__note = data["note"]
            if not isinstance(data__note, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".note must be string", value=data__note, name="" + (name_prefix or "data") + ".note", definition={'description': 'note: the line to add; label, close: a line added with it. Free text for the case file; never a card number.', 'type': 'string', 'minLength': 1, 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, rule='type')
            if isinstance(data__note, str):
                data__note_len = len(data__note)
                if data__note_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".note must be longer than or equal to 1 characters", value=data__note, name="" + (name_prefix or "data") + ".note", definition={'description': 'note: the line to add; label, close: a line added with it. Free text for the case file; never a card number.', 'type': 'string', 'minLength': 1, 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, rule='minLength')
                if data__note_len > 500:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".note must be shorter than or equal to 500 characters", value=data__note, name="" + (name_prefix or "data") + ".note", definition={'description': 'note: the line to add; label, close: a line added with it. Free text for the case file; never a card number.', 'type': 'string', 'minLength': 1, 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, rule='maxLength')
                if not REGEX_PATTERNS['^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'].search(data__note):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".note must match pattern ^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$", value=data__note, name="" + (name_prefix or "data") + ".note", definition={'description': 'note: the line to add; label, close: a line added with it. Free text for the case file; never a card number.', 'type': 'string', 'minLength': 1, 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, rule='pattern')
        if "assignee" in data_keys:
            data_keys.remove("assignee")
            data__assignee = data["assignee"]
            if not isinstance(data__assignee, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".assignee must be string", value=data__assignee, name="" + (name_prefix or "data") + ".assignee", definition={'description': "assign: who takes the case (an IAM principal's ARN, or me: the caller)", 'type': 'string', 'minLength': 1, 'maxLength': 256, 'pattern': '^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$'}, rule='type')
            if isinstance(data__assignee, str):
                data__assignee_len = len(data__assignee)
                if data__assignee_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".assignee must be longer than or equal to 1 characters", value=data__assignee, name="" + (name_prefix or "data") + ".assignee", definition={'description': "assign: who takes the case (an IAM principal's ARN, or me: the caller)", 'type': 'string', 'minLength': 1, 'maxLength': 256, 'pattern': '^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$'}, rule='minLength')
                if data__assignee_len > 256:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".assignee must be shorter than or equal to 256 characters", value=data__assignee, name="" + (name_prefix or "data") + ".assignee", definition={'description': "assign: who takes the case (an IAM principal's ARN, or me: the caller)", 'type': 'string', 'minLength': 1, 'maxLength': 256, 'pattern': '^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$'}, rule='maxLength')
                if not REGEX_PATTERNS['^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$'].search(data__assignee):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".assignee must match pattern ^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$", value=data__assignee, name="" + (name_prefix or "data") + ".assignee", definition={'description': "assign: who takes the case (an IAM principal's ARN, or me: the caller)", 'type': 'string', 'minLength': 1, 'maxLength': 256, 'pattern': '^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$'}, rule='pattern')
        if "outcome" in data_keys:
            data_keys.remove("outcome")
            data__outcome = data["outcome"]
            if not isinstance(data__outcome, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outcome must be string", value=data__outcome, name="" + (name_prefix or "data") + ".outcome", definition={'description': 'close: fraud, genuine, mixed or no_action', 'type': 'string', 'enum': ['fraud', 'genuine', 'mixed', 'no_action']}, rule='type')
            if not (isinstance(data__outcome, str) and data__outcome == 'fraud' or isinstance(data__outcome, str) and data__outcome == 'genuine' or isinstance(data__outcome, str) and data__outcome == 'mixed' or isinstance(data__outcome, str) and data__outcome == 'no_action'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".outcome must be one of ['fraud', 'genuine', 'mixed', 'no_action']", value=data__outcome, name="" + (name_prefix or "data") + ".outcome", definition={'description': 'close: fraud, genuine, mixed or no_action', 'type': 'string', 'enum': ['fraud', 'genuine', 'mixed', 'no_action']}, rule='enum')
        if "version" in data_keys:
            data_keys.remove("version")
            data__version = data["version"]
            if not isinstance(data__version, (int)) or isinstance(data__version, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".version must be integer", value=data__version, name="" + (name_prefix or "data") + ".version", definition={'description': "any action: the case's version the analyst read (its answer's version); the action is refused (409) when the case has changed since", 'type': 'integer', 'minimum': 0, 'maximum': 1000000}, rule='type')
            if isinstance(data__version, (int, float, Decimal)) and not isinstance(data__version, bool):
                if data__version < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".version must be bigger than or equal to 0", value=data__version, name="" + (name_prefix or "data") + ".version", definition={'description': "any action: the case's version the analyst read (its answer's version); the action is refused (409) when the case has changed since", 'type': 'integer', 'minimum': 0, 'maximum': 1000000}, rule='minimum')
                if data__version > 1000000:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".version must be smaller than or equal to 1000000", value=data__version, name="" + (name_prefix or "data") + ".version", definition={'description': "any action: the case's version the analyst read (its answer's version); the action is refused (409) when the case has changed since", 'type': 'integer', 'minimum': 0, 'maximum': 1000000}, rule='maximum')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-04/schema#', 'id': 'urn:cardwatch:schema:case_action', 'title': 'CaseAction', 'description': "One change to a case, sent to POST /cases/{case_id} by an analyst signed in with their own AWS identity (the caller is recorded as its author). label: a verdict on the whole case, or on the chosen transaction_ids, optionally closing it with that verdict as its outcome. note: a line in the case's thread. assign: to the caller, or to assignee. unassign. close: with an outcome. reopen: a closed case. With version, an action applies only to the case as the analyst read it.", 'type': 'object', 'additionalProperties': False, 'required': ['action'], 'properties': {'action': {'description': 'label, note, assign, unassign, close or reopen', 'type': 'string', 'enum': ['label', 'note', 'assign', 'unassign', 'close', 'reopen']}, 'label': {'description': 'label: fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, 'transaction_ids': {'description': 'label: the transactions of the case to label (all of them when absent)', 'type': 'array', 'minItems': 1, 'maxItems': 500, 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'}}, 'close': {'description': 'label: close the case too, with the label as its outcome', 'type': 'boolean'}, 'note': {'description': 'note: the line to add; label, close: a line added with it. Free text for the case file; never a card number.', 'type': 'string', 'minLength': 1, 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, 'assignee': {'description': "assign: who takes the case (an IAM principal's ARN, or me: the caller)", 'type': 'string', 'minLength': 1, 'maxLength': 256, 'pattern': '^(me|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[A-Za-z0-9+=,.@_/-]+)$'}, 'outcome': {'description': 'close: fraud, genuine, mixed or no_action', 'type': 'string', 'enum': ['fraud', 'genuine', 'mixed', 'no_action']}, 'version': {'description': "any action: the case's version the analyst read (its answer's version); the action is refused (409) when the case has changed since", 'type': 'integer', 'minimum': 0, 'maximum': 1000000}}}, rule='additionalProperties')
    return data
