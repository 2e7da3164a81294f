# Generated from label.schema.json by `make contract-checks`
# (cardwatch.cli.contract_checks, fastjsonschema 2.22.3).
# Do not edit: a test fails when this differs from what the schema gives now.
# mypy: ignore-errors
VERSION = "2.22.3"
from decimal import Decimal
import re
from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException


REGEX_PATTERNS = {
    '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$': re.compile('^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}\\Z')
}

NoneType = type(None)

def validate_urn_cardwatch_schema_label(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-04/schema#', 'id': 'urn:cardwatch:schema:label', 'title': 'Label', 'description': "A verdict on a stored transaction, sent to POST /transactions/{transaction_id}/label with the analysts' or the disputes feed's API key (the key decides the source): a chargeback, an issuer's or an analyst's decision, a customer's report. Labels are kept in order, never changed. The engine follows the latest label of the highest-ranked source (chargeback and issuer, then analyst, then customer): a correction is a new label, and the card's and terminal's risk follow it. The same label sent again is answered as the first time.", 'type': 'object', 'additionalProperties': False, 'required': ['label'], 'properties': {'label': {'description': 'fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, 'source': {'description': "Who confirmed it, among what the sending key speaks for: the analysts' key for analyst (the default) or customer, the disputes feed's key for chargeback (the default) or issuer. Any other source is refused (403). Chargeback and issuer outrank analyst, analyst outranks customer.", 'type': 'string', 'enum': ['chargeback', 'analyst', 'customer', 'issuer']}, 'note': {'description': 'Free text for the case file; never a card number.', 'type': 'string', 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['label']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-04/schema#', 'id': 'urn:cardwatch:schema:label', 'title': 'Label', 'description': "A verdict on a stored transaction, sent to POST /transactions/{transaction_id}/label with the analysts' or the disputes feed's API key (the key decides the source): a chargeback, an issuer's or an analyst's decision, a customer's report. Labels are kept in order, never changed. The engine follows the latest label of the highest-ranked source (chargeback and issuer, then analyst, then customer): a correction is a new label, and the card's and terminal's risk follow it. The same label sent again is answered as the first time.", 'type': 'object', 'additionalProperties': False, 'required': ['label'], 'properties': {'label': {'description': 'fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, 'source': {'description': "Who confirmed it, among what the sending key speaks for: the analysts' key for analyst (the default) or customer, the disputes feed's key for chargeback (the default) or issuer. Any other source is refused (403). Chargeback and issuer outrank analyst, analyst outranks customer.", 'type': 'string', 'enum': ['chargeback', 'analyst', 'customer', 'issuer']}, 'note': {'description': 'Free text for the case file; never a card number.', 'type': 'string', 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}}}, rule='required')
        data_keys = set(data.keys())
        if "label" in data_keys:
            data_keys.remove("label")
            data__label = data["label"]
            if not isinstance(data__label, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".label must be string", value=data__label, name="" + (name_prefix or "data") + ".label", definition={'description': 'fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, rule='type')
            if not (isinstance(data__label, str) and data__label == 'fraud' or isinstance(data__label, str) and data__label == 'genuine'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".label must be one of ['fraud', 'genuine']", value=data__label, name="" + (name_prefix or "data") + ".label", definition={'description': 'fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, rule='enum')
        if "source" in data_keys:
            data_keys.remove("source")
            data__source = data["source"]
            if not isinstance(data__source, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".source must be string", value=data__source, name="" + (name_prefix or "data") + ".source", definition={'description': "Who confirmed it, among what the sending key speaks for: the analysts' key for analyst (the default) or customer, the disputes feed's key for chargeback (the default) or issuer. Any other source is refused (403). Chargeback and issuer outrank analyst, analyst outranks customer.", 'type': 'string', 'enum': ['chargeback', 'analyst', 'customer', 'issuer']}, rule='type')
            if not (isinstance(data__source, str) and data__source == 'chargeback' or isinstance(data__source, str) and data__source == 'analyst' or isinstance(data__source, str) and data__source == 'customer' or isinstance(data__source, str) and data__source == 'issuer'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".source must be one of ['chargeback', 'analyst', 'customer', 'issuer']", value=data__source, name="" + (name_prefix or "data") + ".source", definition={'description': "Who confirmed it, among what the sending key speaks for: the analysts' key for analyst (the default) or customer, the disputes feed's key for chargeback (the default) or issuer. Any other source is refused (403). Chargeback and issuer outrank analyst, analyst outranks customer.", 'type': 'string', 'enum': ['chargeback', 'analyst', 'customer', 'issuer']}, rule='enum')
        if "note" in data_keys:
            data_keys.remove("note")
            data__note = data["note"]
            if not isinstance(data__note, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".note must be string", value=data__note, name="" + (name_prefix or "data") + ".note", definition={'description': 'Free text for the case file; never a card number.', 'type': 'string', 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, rule='type')
            if isinstance(data__note, str):
                data__note_len = len(data__note)
                if data__note_len > 500:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".note must be shorter than or equal to 500 characters", value=data__note, name="" + (name_prefix or "data") + ".note", definition={'description': 'Free text for the case file; never a card number.', 'type': 'string', 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, rule='maxLength')
                if not REGEX_PATTERNS['^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'].search(data__note):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".note must match pattern ^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$", value=data__note, name="" + (name_prefix or "data") + ".note", definition={'description': 'Free text for the case file; never a card number.', 'type': 'string', 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}, rule='pattern')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'http://json-schema.org/draft-04/schema#', 'id': 'urn:cardwatch:schema:label', 'title': 'Label', 'description': "A verdict on a stored transaction, sent to POST /transactions/{transaction_id}/label with the analysts' or the disputes feed's API key (the key decides the source): a chargeback, an issuer's or an analyst's decision, a customer's report. Labels are kept in order, never changed. The engine follows the latest label of the highest-ranked source (chargeback and issuer, then analyst, then customer): a correction is a new label, and the card's and terminal's risk follow it. The same label sent again is answered as the first time.", 'type': 'object', 'additionalProperties': False, 'required': ['label'], 'properties': {'label': {'description': 'fraud or genuine', 'type': 'string', 'enum': ['fraud', 'genuine']}, 'source': {'description': "Who confirmed it, among what the sending key speaks for: the analysts' key for analyst (the default) or customer, the disputes feed's key for chargeback (the default) or issuer. Any other source is refused (403). Chargeback and issuer outrank analyst, analyst outranks customer.", 'type': 'string', 'enum': ['chargeback', 'analyst', 'customer', 'issuer']}, 'note': {'description': 'Free text for the case file; never a card number.', 'type': 'string', 'maxLength': 500, 'pattern': '^[^0-9]*([0-9]{1,12}[^0-9]+)*[0-9]{0,12}$'}}}, rule='additionalProperties')
    return data
