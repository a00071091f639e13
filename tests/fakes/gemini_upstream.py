"""A fake Google Gemini API (generativelanguage.googleapis.com, v1beta) that speaks the real wire protocol.

Routes (base_url is ``http://127.0.0.1:PORT/v1beta``):

- ``POST /v1beta/models/{model}:generateContent``
- ``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` (SSE only; without ``alt=sse`` the real API
  streams one JSON array, which this fake refuses with a 400)
- ``POST /v1beta/models/{model}:embedContent``
- ``POST /v1beta/models/{model}:batchEmbedContents``
- ``GET /v1beta/models/{model}`` (the model's description; any name is known)

The key travels in ``x-goog-api-key`` (or ``?key=``).  Requests are checked the way Gemini checks them, down
to rejecting unknown field names, because that is how a translator leaking OpenAI fields is caught.

Behaviour is picked by directives in the model name of the URL, shared with the OpenAI fake (``chunks-N``,
``delay-Nms``, ``ttft-Nms``, ``fail-NNN``, ``hang``, ``drop-mid-stream``, ``no-usage``, ``bad-json``) plus:

- ``tools-2``            two parallel function calls instead of one
- ``safety-block``       a candidate with finishReason SAFETY and no content
- ``prompt-blocked``     no candidates, ``promptFeedback.blockReason`` SAFETY

Which reply (first rule that matches): the last turn holds a functionResponse -> ``result: <text>``; functions
are declared and the mode is not NONE -> functionCall parts; ``responseMimeType`` is application/json ->
``{"city": "Paris"}``; otherwise ``completion_chunks(N)`` capped by ``maxOutputTokens`` (then MAX_TOKENS).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from tests.fakes.openai_upstream import (
    DEFAULT_EMBEDDING_DIMENSIONS,
    Directives,
    completion_chunks,
    expected_embedding,
    parse_directives,
)
from tests.fakes.server import FakeServer, drop_connection

__all__ = [
    "JSON_REPLY",
    "THOUGHT_TEXT",
    "THOUGHT_TOKENS",
    "TOOL_ARGUMENTS",
    "TOOL_CALL_TOKENS",
    "FakeGeminiUpstream",
    "GeminiDirectives",
    "embedding_text",
    "expected_prompt_tokens",
    "function_result_text",
    "parse_gemini_directives",
]

TOOL_ARGUMENTS: Final[tuple[dict[str, str], ...]] = ({"city": "Paris"}, {"city": "Tokyo"})
TOOL_CALL_TOKENS: Final = 10
JSON_REPLY: Final = '{"city": "Paris"}'
THOUGHT_TEXT: Final = "Let me think."
THOUGHT_TOKENS: Final = 4
MAX_STOP_SEQUENCES: Final = 5
MAX_CANDIDATES: Final = 8
MAX_BATCH_EMBED_REQUESTS: Final = 100

_PROTO: Final = "type.googleapis.com/google.ai.generativelanguage.v1beta."
_SERVICE: Final = "google.ai.generativelanguage.v1beta.GenerativeService."

# Same boundary rule as the OpenAI fake's directives: `tools-20` or `xsafety-block` are not directives.
_B: Final = r"(?<![A-Za-z0-9])"
_E: Final = r"(?![A-Za-z0-9])"
_TOOLS_2_RE: Final = re.compile(_B + r"tools-2" + _E)
_SAFETY_BLOCK_RE: Final = re.compile(_B + r"safety-block" + _E)
_PROMPT_BLOCKED_RE: Final = re.compile(_B + r"prompt-blocked" + _E)

_FUNCTION_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
_ROLES: Final = ("user", "model")
_MODES: Final = ("MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED")
_SCHEMA_TYPES: Final = (
    "TYPE_UNSPECIFIED",
    "STRING",
    "NUMBER",
    "INTEGER",
    "BOOLEAN",
    "ARRAY",
    "OBJECT",
    "NULL",
)
_RESPONSE_MIME_TYPES: Final = (
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
)
_TASK_TYPES: Final = (
    "TASK_TYPE_UNSPECIFIED",
    "RETRIEVAL_QUERY",
    "RETRIEVAL_DOCUMENT",
    "SEMANTIC_SIMILARITY",
    "CLASSIFICATION",
    "CLUSTERING",
    "QUESTION_ANSWERING",
    "FACT_VERIFICATION",
    "CODE_RETRIEVAL_QUERY",
)
_HARM_CATEGORIES: Final = (
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)
_BLOCKED_CATEGORY: Final = "HARM_CATEGORY_DANGEROUS_CONTENT"

_STATUS_NAMES: Final[dict[int, str]] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_FAILURE_MESSAGES: Final[dict[int, str]] = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

# The request messages Gemini parses, by proto field name (its JSON parser takes the lowerCamel json name or
# the snake_case proto name).  Scalar and free-form fields (Struct, JSON Schema) are listed by name: their
# insides are not checked.  Message-valued fields name their message: "X[]" repeated, "X{}" a map of X.


def _message(scalars: str, **messages: str) -> dict[str, str | None]:
    fields: dict[str, str | None] = dict.fromkeys(scalars.split())
    fields.update(messages)
    return fields


_MESSAGES: Final[dict[str, dict[str, str | None]]] = {
    "GenerateContentRequest": _message(
        "model cached_content",
        contents="Content[]",
        tools="Tool[]",
        tool_config="ToolConfig",
        safety_settings="SafetySetting[]",
        system_instruction="Content",
        generation_config="GenerationConfig",
    ),
    "Content": _message("role", parts="Part[]"),
    "Part": _message(
        "text executable_code code_execution_result thought thought_signature video_metadata part_metadata "
        "media_resolution",
        inline_data="Blob",
        file_data="FileData",
        function_call="FunctionCall",
        function_response="FunctionResponse",
    ),
    "Blob": _message("mime_type data"),
    "FileData": _message("mime_type file_uri"),
    "FunctionCall": _message("id name args"),
    "FunctionResponse": _message("id name response parts will_continue scheduling"),
    "Tool": _message(
        "google_search_retrieval code_execution google_search url_context computer_use file_search "
        "google_maps",
        function_declarations="FunctionDeclaration[]",
    ),
    "FunctionDeclaration": _message(
        "name description behavior parameters_json_schema response_json_schema",
        parameters="Schema",
        response="Schema",
    ),
    "Schema": _message(
        "type format title description nullable enum max_items min_items required min_properties "
        "max_properties min_length max_length pattern example property_ordering default minimum maximum",
        properties="Schema{}",
        any_of="Schema[]",
        items="Schema",
    ),
    "ToolConfig": _message("retrieval_config", function_calling_config="FunctionCallingConfig"),
    "FunctionCallingConfig": _message("mode allowed_function_names"),
    "SafetySetting": _message("category threshold"),
    "GenerationConfig": _message(
        "stop_sequences response_mime_type response_json_schema response_modalities candidate_count "
        "max_output_tokens temperature top_p top_k seed presence_penalty frequency_penalty response_logprobs "
        "logprobs enable_enhanced_civic_answers speech_config image_config media_resolution",
        response_schema="Schema",
        thinking_config="ThinkingConfig",
    ),
    "ThinkingConfig": _message("include_thoughts thinking_budget thinking_level"),
    "EmbedContentRequest": _message("model task_type title output_dimensionality", content="Content"),
    "BatchEmbedContentsRequest": _message("", requests="EmbedContentRequest[]"),
}
# The members of Part's `data` oneof.
_PART_DATA: Final = (
    "text",
    "inline_data",
    "file_data",
    "function_call",
    "function_response",
    "executable_code",
    "code_execution_result",
)


# ---------------------------------------------------------------- directives


@dataclass(frozen=True)
class GeminiDirectives:
    common: Directives
    tools_2: bool = False
    safety_block: bool = False
    prompt_blocked: bool = False


def parse_gemini_directives(model: str) -> GeminiDirectives:
    """The behaviour the fake picks for a request to `models/{model}`."""
    return GeminiDirectives(
        common=parse_directives(model),
        tools_2=_TOOLS_2_RE.search(model) is not None,
        safety_block=_SAFETY_BLOCK_RE.search(model) is not None,
        prompt_blocked=_PROMPT_BLOCKED_RE.search(model) is not None,
    )


# ---------------------------------------------------------------- field names


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _get(obj: dict[str, Any], name: str) -> Any:
    """The field `name` (snake_case) under either of the spellings Gemini's JSON parser accepts."""
    camel = _camel(name)
    return obj[camel] if camel in obj else obj.get(name)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ---------------------------------------------------------------- counting


def function_result_text(response: Any) -> str:
    """The text a functionResponse's `response` stands for.

    Translators wrap a tool message's string as `{"content": s}` / `{"result": s}` / `{"output": s}`, so a
    one-key object holding a string is that string; anything else (a parsed JSON result) is its JSON text.
    """
    if isinstance(response, dict) and len(response) == 1:
        (value,) = response.values()
        if isinstance(value, str):
            return value
    return json.dumps(response)


def _part_words(part: Any) -> int:
    if not isinstance(part, dict):
        return 0
    text = _get(part, "text")
    if isinstance(text, str):
        return len(text.split())
    function_response = _get(part, "function_response")
    if isinstance(function_response, dict):
        return len(function_result_text(function_response.get("response")).split())
    return 0


def _content_tokens(content: Any) -> int:
    if not isinstance(content, dict):
        return 0
    parts = _get(content, "parts")
    return 3 + (sum(_part_words(p) for p in parts) if isinstance(parts, list) else 0)


def expected_prompt_tokens(body: dict[str, Any]) -> int:
    """The promptTokenCount the fake reports: words of every text and function result, plus 3 per turn
    (systemInstruction counts as one turn, as a system message does for the OpenAI fake)."""
    total = 0
    system = _get(body, "system_instruction")
    if isinstance(system, dict):
        total += _content_tokens(system)
    contents = _get(body, "contents")
    if isinstance(contents, list):
        total += sum(_content_tokens(c) for c in contents)
    return total


def embedding_text(content: dict[str, Any]) -> str:
    """The text an embedContent `content` is embedded as (the fake's vector is `expected_embedding` of it)."""
    parts = _get(content, "parts") or []
    return " ".join(_get(p, "text") for p in parts)


# ---------------------------------------------------------------- errors


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers

    def response(self) -> web.Response:
        return _error_response(self.status, self.message, details=self.details, headers=self.headers)


def _json_text(obj: Any) -> str:
    # Google's JSON APIs answer pretty-printed, two-space indented.
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def _json_response(obj: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, text=_json_text(obj), content_type="application/json", charset="UTF-8", headers=headers
    )


def _error_response(
    status: int,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": _STATUS_NAMES.get(status, "UNKNOWN"),
    }
    if details:
        error["details"] = details
    return _json_response({"error": error}, status=status, headers=headers)


def _bad_request(message: str) -> _ApiError:
    return _ApiError(400, message)


def _field_error(root: str, path: str, message: str) -> _ApiError:
    # Gemini's semantic checks answer in this "* Request.field: problem\n" form, without details.
    return _ApiError(400, f"* {root}.{path}: {message}\n")


def _violations(descriptions: list[tuple[str, str]]) -> _ApiError:
    violations: list[dict[str, str]] = []
    for path, description in descriptions:
        violation = {"field": path, "description": description} if path else {"description": description}
        violations.append(violation)
    return _ApiError(
        400,
        "\n".join(d for _, d in descriptions),
        details=[{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations}],
    )


def _invalid_value(path: str, type_name: str, value: Any) -> _ApiError:
    description = f"Invalid value at '{path}' ({type_name}), {json.dumps(value)}"
    return _violations([(path, description)])


def _directed_failure(status: int, model: str, method: str) -> web.Response:
    if status == 404:
        message = (
            f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
            "Call ListModels to see the list of available models and their supported methods."
        )
    else:
        message = _FAILURE_MESSAGES.get(status, f"Fake upstream failure {status}.")
    if status == 429:
        return _error_response(
            429,
            message,
            details=[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}],
            headers={"retry-after": "1"},
        )
    return _error_response(status, message)


# ---------------------------------------------------------------- structural checks


def _unknown_fields(value: Any, message: str, path: str, found: list[tuple[str, str]]) -> None:
    if not isinstance(value, dict):
        return
    fields = _MESSAGES[message]
    for key, child in value.items():
        name = _snake(key)
        if name not in fields:
            found.append((path, key))
            continue
        kind = fields[name]
        if kind is None:
            continue
        sub = _join(path, name)
        if kind.endswith("[]"):
            if isinstance(child, list):
                for i, item in enumerate(child):
                    _unknown_fields(item, kind[:-2], f"{sub}[{i}]", found)
        elif kind.endswith("{}"):
            if isinstance(child, dict):
                for i, item in enumerate(child.values()):
                    _unknown_fields(item, kind[:-2], f"{sub}[{i}].value", found)
        else:
            _unknown_fields(child, kind, sub, found)


def _check_unknown_fields(body: dict[str, Any], message: str) -> None:
    found: list[tuple[str, str]] = []
    _unknown_fields(body, message, "", found)
    if found:
        raise _violations(
            [
                (
                    path,
                    f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': Cannot find field."
                    if path
                    else f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.',
                )
                for path, key in found
            ]
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _expect_dict(value: Any, path: str, message: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid_value(path, _PROTO + message, value)
    return value


def _expect_list(value: Any, path: str, element: str) -> list[Any]:
    if not isinstance(value, list):
        raise _invalid_value(path, element, value)
    return value


def _expect_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _invalid_value(path, "TYPE_STRING", value)
    return value


def _expect_int(value: Any, path: str) -> int:
    if not _is_int(value):
        raise _invalid_value(path, "TYPE_INT32", value)
    assert isinstance(value, int)
    return value


def _expect_number(value: Any, path: str) -> float:
    if not _is_number(value):
        raise _invalid_value(path, "TYPE_FLOAT", value)
    return float(value)


def _expect_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid_value(path, "TYPE_BOOL", value)
    return value


def _expect_enum(value: Any, path: str, enum: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.upper() not in allowed:
        raise _invalid_value(path, _PROTO + enum, value)
    return value.upper()


# ---------------------------------------------------------------- generateContent validation


@dataclass(frozen=True)
class _Generate:
    """What the reply depends on, from a validated GenerateContentRequest."""

    contents: list[dict[str, Any]]
    functions: list[str]
    mode: str
    allowed_names: list[str]
    max_output_tokens: int | None
    json_mode: bool
    include_thoughts: bool
    candidate_count: int


def _role(content: dict[str, Any]) -> str:
    role = _get(content, "role")
    return role if isinstance(role, str) and role else "user"


def _validate_parts(root: str, parts: Any, path: str) -> list[dict[str, Any]]:
    if parts is None or parts == []:
        raise _field_error(root, path, "contents.parts must not be empty.")
    checked: list[dict[str, Any]] = []
    for j, part in enumerate(_expect_list(parts, path, _PROTO + "Part")):
        part_path = f"{path}[{j}]"
        part = _expect_dict(part, part_path, "Part")
        present = [name for name in _PART_DATA if _get(part, name) is not None]
        if not present:
            raise _field_error(
                root, f"{part_path}.data", "required oneof field 'data' must have one initialized field"
            )
        if len(present) > 1:
            raise _bad_request(
                "Invalid JSON payload received. Oneof field 'data' is already set. "
                f"Cannot set '{_camel(present[1])}'"
            )
        kind = present[0]
        value = _get(part, kind)
        sub = _join(part_path, kind)
        if kind == "text":
            _expect_str(value, sub)
        elif kind == "inline_data":
            blob = _expect_dict(value, sub, "Blob")
            mime_type = _get(blob, "mime_type")
            if not isinstance(mime_type, str) or not mime_type:
                raise _field_error(root, f"{sub}.mime_type", "mime_type must be specified")
            data = _expect_str(_get(blob, "data"), f"{sub}.data")
            try:
                # Google's parser takes the standard and the URL-safe base64 alphabets.
                base64.b64decode(data.replace("-", "+").replace("_", "/"), validate=True)
            except (binascii.Error, ValueError):
                raise _invalid_value(
                    f"{sub}.data", "TYPE_BYTES", f"Base64 decoding failed for {data!r}"
                ) from None
        elif kind == "file_data":
            file_data = _expect_dict(value, sub, "FileData")
            uri = _get(file_data, "file_uri")
            if not isinstance(uri, str) or not uri:
                raise _field_error(root, f"{sub}.file_uri", "file_uri must be specified")
        elif kind == "function_call":
            call = _expect_dict(value, sub, "FunctionCall")
            name = _get(call, "name")
            if not isinstance(name, str) or not name:
                raise _field_error(root, f"{sub}.name", "Name cannot be empty.")
            if call.get("args") is not None and not isinstance(call["args"], dict):
                raise _invalid_value(
                    f"{sub}.args", "type.googleapis.com/google.protobuf.Struct", call["args"]
                )
        elif kind == "function_response":
            result = _expect_dict(value, sub, "FunctionResponse")
            name = _get(result, "name")
            if not isinstance(name, str) or not name:
                raise _field_error(root, f"{sub}.name", "Name cannot be empty.")
            response = result.get("response")
            if response is None:
                raise _field_error(root, f"{sub}.response", "required field is not set")
            if not isinstance(response, dict):
                # The classic translator bug: the tool message's string passed as is instead of an object.
                raise _invalid_value(
                    f"{sub}.response", "type.googleapis.com/google.protobuf.Struct", response
                )
        checked.append(part)
    return checked


def _part_names(content: dict[str, Any], kind: str) -> list[str]:
    names: list[str] = []
    for part in _get(content, "parts"):
        value = _get(part, kind)
        if isinstance(value, dict):
            names.append(value["name"])
    return names


def _validate_turn_order(contents: list[dict[str, Any]]) -> None:
    for i, content in enumerate(contents):
        previous = contents[i - 1] if i else None
        if _part_names(content, "function_call") and (previous is None or _role(previous) != "user"):
            raise _bad_request(
                "Please ensure that function call turn comes immediately after a user turn or after a "
                "function response turn."
            )
        responses = _part_names(content, "function_response")
        if not responses:
            continue
        calls = (
            _part_names(previous, "function_call")
            if previous is not None and _role(previous) == "model" and _role(content) == "user"
            else []
        )
        if not calls:
            raise _bad_request(
                "Please ensure that function response turn comes immediately after a function call turn."
            )
        if len(responses) != len(calls):
            raise _bad_request(
                "Please ensure that the number of function response parts is equal to the number of "
                "function call parts of the function call turn."
            )
        if sorted(responses) != sorted(calls):
            # Gemini's wording for this case is not documented; the check itself catches a translator that
            # attaches a tool result to the wrong function.
            raise _bad_request(
                "Please ensure that the names of the function response parts match the names of the function "
                "call parts of the function call turn."
            )


def _validate_schema(root: str, schema: Any, path: str, *, nested: bool) -> None:
    schema = _expect_dict(schema, path, "Schema")
    type_value = _get(schema, "type")
    schema_type = (
        _expect_enum(type_value, f"{path}.type", "Type", _SCHEMA_TYPES) if type_value is not None else None
    )
    properties = _get(schema, "properties")
    if properties is not None:
        if schema_type != "OBJECT":
            raise _field_error(root, f"{path}.properties", "only allowed for OBJECT type")
        properties = _expect_dict(properties, f"{path}.properties", "Schema")
        for key, child in properties.items():
            _validate_schema(root, child, f"{path}.properties[{key}]", nested=True)
    if schema_type == "OBJECT" and nested and not properties:
        raise _field_error(root, f"{path}.properties", "should be non-empty for OBJECT type")
    items = _get(schema, "items")
    if schema_type == "ARRAY" and items is None:
        raise _field_error(root, f"{path}.items", "missing field.")
    if items is not None:
        _validate_schema(root, items, f"{path}.items", nested=True)
    any_of = _get(schema, "any_of")
    if any_of is not None:
        for k, child in enumerate(_expect_list(any_of, f"{path}.any_of", _PROTO + "Schema")):
            _validate_schema(root, child, f"{path}.any_of[{k}]", nested=True)


def _validate_tools(root: str, tools: Any) -> list[str]:
    functions: list[str] = []
    for i, tool in enumerate(_expect_list(tools, "tools", _PROTO + "Tool")):
        tool = _expect_dict(tool, f"tools[{i}]", "Tool")
        declarations = _get(tool, "function_declarations")
        if declarations is None:
            continue
        base = f"tools[{i}].function_declarations"
        for j, declaration in enumerate(_expect_list(declarations, base, _PROTO + "FunctionDeclaration")):
            path = f"{base}[{j}]"
            declaration = _expect_dict(declaration, path, "FunctionDeclaration")
            name = _get(declaration, "name")
            if not isinstance(name, str) or not _FUNCTION_NAME_RE.fullmatch(name):
                raise _field_error(
                    root,
                    f"{path}.name",
                    "Invalid function name. Must start with a letter or an underscore. Must be alphameric "
                    "(a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum "
                    "length of 64.",
                )
            if name in functions:
                raise _field_error(root, f"{path}.name", f"Duplicate function declaration found: {name}")
            functions.append(name)
            description = _get(declaration, "description")
            if description is not None:
                _expect_str(description, f"{path}.description")
            parameters = _get(declaration, "parameters")
            if parameters is not None and _get(declaration, "parameters_json_schema") is not None:
                raise _field_error(
                    root, f"{path}.parameters", "parameters and parameters_json_schema cannot both be set"
                )
            if parameters is not None:
                _validate_schema(root, parameters, f"{path}.parameters", nested=False)
    return functions


def _validate_tool_config(root: str, tool_config: Any, functions: list[str]) -> tuple[str, list[str]]:
    config = _expect_dict(tool_config, "tool_config", "ToolConfig")
    calling = _get(config, "function_calling_config")
    if calling is None:
        return "AUTO", []
    path = "tool_config.function_calling_config"
    calling = _expect_dict(calling, path, "FunctionCallingConfig")
    mode_value = _get(calling, "mode")
    mode = (
        _expect_enum(mode_value, f"{path}.mode", "FunctionCallingConfig.Mode", _MODES)
        if mode_value is not None
        else "AUTO"
    )
    if mode == "MODE_UNSPECIFIED":
        mode = "AUTO"
    names_value = _get(calling, "allowed_function_names")
    names: list[str] = []
    if names_value is not None:
        names_path = f"{path}.allowed_function_names"
        names = [
            _expect_str(n, f"{names_path}[{k}]")
            for k, n in enumerate(_expect_list(names_value, names_path, "TYPE_STRING"))
        ]
        if names and mode not in ("ANY", "VALIDATED"):
            raise _field_error(
                root, names_path, "allowed_function_names should only be set when mode is ANY or VALIDATED."
            )
        for k, name in enumerate(names):
            if name not in functions:
                raise _field_error(
                    root,
                    f"{names_path}[{k}]",
                    f"function {name!r} is not declared in tools.function_declarations",
                )
    if mode in ("ANY", "VALIDATED") and not functions:
        raise _field_error(
            root,
            f"{path}.mode",
            f"function_calling_config.mode is {mode} but no function declarations are given",
        )
    return mode, names


@dataclass(frozen=True)
class _Config:
    max_output_tokens: int | None = None
    json_mode: bool = False
    include_thoughts: bool = False
    candidate_count: int = 1


def _validate_generation_config(root: str, value: Any) -> _Config:
    base = "generation_config"
    config = _expect_dict(value, base, "GenerationConfig")

    def field(name: str) -> tuple[Any, str]:
        return _get(config, name), f"{base}.{name}"

    temperature, path = field("temperature")
    if temperature is not None and not 0 <= _expect_number(temperature, path) <= 2:
        raise _field_error(root, path, "temperature must be in the range [0.0, 2.0]")
    top_p, path = field("top_p")
    if top_p is not None and not 0 <= _expect_number(top_p, path) <= 1:
        raise _field_error(root, path, "top_p must be in the range [0.0, 1.0]")
    top_k, path = field("top_k")
    if top_k is not None and _expect_number(top_k, path) < 0:
        raise _field_error(root, path, "top_k must be non-negative")
    for name in ("presence_penalty", "frequency_penalty"):
        penalty, path = field(name)
        if penalty is not None:
            _expect_number(penalty, path)
    seed, path = field("seed")
    if seed is not None:
        _expect_int(seed, path)

    max_output_tokens, path = field("max_output_tokens")
    if max_output_tokens is not None and _expect_int(max_output_tokens, path) < 1:
        raise _field_error(root, path, "max_output_tokens must be positive")
    candidate_count, path = field("candidate_count")
    if candidate_count is None:
        candidate_count = 1
    elif not 1 <= _expect_int(candidate_count, path) <= MAX_CANDIDATES:
        raise _field_error(root, path, f"candidate_count must be in the range [1, {MAX_CANDIDATES}]")

    stops, path = field("stop_sequences")
    if stops is not None:
        stops = [
            _expect_str(s, f"{path}[{k}]") for k, s in enumerate(_expect_list(stops, path, "TYPE_STRING"))
        ]
        if len(stops) > MAX_STOP_SEQUENCES:
            raise _field_error(
                root, path, f"the number of stop_sequences must not exceed {MAX_STOP_SEQUENCES}"
            )

    mime_type, path = field("response_mime_type")
    if mime_type is not None and _expect_str(mime_type, path) not in _RESPONSE_MIME_TYPES:
        raise _field_error(
            root,
            path,
            "allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` "
            "and `text/x.enum`.",
        )
    response_schema, schema_path = field("response_schema")
    json_schema, _ = field("response_json_schema")
    if response_schema is not None and json_schema is not None:
        raise _field_error(root, schema_path, "response_schema and response_json_schema cannot both be set")
    if response_schema is not None:
        _validate_schema(root, response_schema, schema_path, nested=False)
    if (response_schema is not None or json_schema is not None) and mime_type not in (
        "application/json",
        "text/x.enum",
    ):
        raise _field_error(
            root,
            f"{base}.response_mime_type",
            "a response schema requires response_mime_type to be `application/json` or `text/x.enum`",
        )

    include_thoughts = False
    thinking, path = field("thinking_config")
    if thinking is not None:
        thinking = _expect_dict(thinking, path, "ThinkingConfig")
        budget = _get(thinking, "thinking_budget")
        if budget is not None:
            _expect_int(budget, f"{path}.thinking_budget")
        level = _get(thinking, "thinking_level")
        if level is not None:
            _expect_str(level, f"{path}.thinking_level")
            if budget is not None:
                raise _bad_request("You can only set only one of thinking budget and thinking level.")
        include = _get(thinking, "include_thoughts")
        # A zero budget turns thinking off, and then there are no thoughts to include.
        include_thoughts = (
            include is not None and _expect_bool(include, f"{path}.include_thoughts") and budget != 0
        )

    return _Config(
        max_output_tokens=max_output_tokens,
        json_mode=mime_type == "application/json",
        include_thoughts=include_thoughts,
        candidate_count=candidate_count,
    )


def _validate_generate(body: dict[str, Any]) -> _Generate:
    root = "GenerateContentRequest"
    _check_unknown_fields(body, root)
    contents_value = _get(body, "contents")
    if contents_value is None or contents_value == []:
        raise _field_error(root, "contents", "contents is not specified")
    contents: list[dict[str, Any]] = []
    raw_contents = _expect_list(contents_value, "contents", _PROTO + "Content")
    for i, content in enumerate(raw_contents):
        path = f"contents[{i}]"
        content = _expect_dict(content, path, "Content")
        role = _get(content, "role")
        # The role may be left out of a single-turn request; a conversation has to say who spoke.
        if role not in _ROLES and not (role in (None, "") and len(raw_contents) == 1):
            raise _bad_request("Please use a valid role: user, model.")
        _validate_parts(root, _get(content, "parts"), f"{path}.parts")
        contents.append(content)
    _validate_turn_order(contents)

    system = _get(body, "system_instruction")
    if system is not None:
        system = _expect_dict(system, "system_instruction", "Content")
        _validate_parts(root, _get(system, "parts"), "system_instruction.parts")

    safety_settings = _get(body, "safety_settings")
    if safety_settings is not None:
        for i, setting in enumerate(
            _expect_list(safety_settings, "safety_settings", _PROTO + "SafetySetting")
        ):
            _expect_dict(setting, f"safety_settings[{i}]", "SafetySetting")

    tools = _get(body, "tools")
    functions = _validate_tools(root, tools) if tools is not None else []
    tool_config = _get(body, "tool_config")
    mode, allowed_names = (
        _validate_tool_config(root, tool_config, functions) if tool_config is not None else ("AUTO", [])
    )
    generation_config = _get(body, "generation_config")
    config = (
        _validate_generation_config(root, generation_config) if generation_config is not None else _Config()
    )
    return _Generate(
        contents=contents,
        functions=functions,
        mode=mode,
        allowed_names=allowed_names,
        max_output_tokens=config.max_output_tokens,
        json_mode=config.json_mode,
        include_thoughts=config.include_thoughts,
        candidate_count=config.candidate_count,
    )


# ---------------------------------------------------------------- embeddings validation


def _validate_embed_request(
    root: str, request: Any, path: str, *, expected_model: str | None
) -> tuple[str, int]:
    """(text to embed, dimensions) of one EmbedContentRequest."""
    request = _expect_dict(request, path or "request", "EmbedContentRequest")
    if expected_model is not None:
        model = _get(request, "model")
        if model != expected_model:
            raise _field_error(
                root,
                _join(path, "model"),
                f"model {model!r} must match the model of the request URL ({expected_model!r})"
                if model
                else "model is not specified",
            )
    content_path = _join(path, "content")
    content = _get(request, "content")
    if content is None:
        raise _field_error(root, content_path, "content is not specified")
    content = _expect_dict(content, content_path, "Content")
    parts = _validate_parts(root, _get(content, "parts"), f"{content_path}.parts")
    for j, part in enumerate(parts):
        if not isinstance(_get(part, "text"), str):
            raise _field_error(root, f"{content_path}.parts[{j}]", "only text parts can be embedded")
    task_type = _get(request, "task_type")
    if task_type is not None:
        _expect_enum(task_type, _join(path, "task_type"), "TaskType", _TASK_TYPES)
    title = _get(request, "title")
    if title is not None:
        _expect_str(title, _join(path, "title"))
    dimensions = _get(request, "output_dimensionality")
    if dimensions is None:
        dimensions = DEFAULT_EMBEDDING_DIMENSIONS
    elif _expect_int(dimensions, _join(path, "output_dimensionality")) < 1:
        raise _field_error(
            root, _join(path, "output_dimensionality"), "output_dimensionality must be positive"
        )
    return embedding_text(content), dimensions


# ---------------------------------------------------------------- replies


@dataclass(frozen=True)
class _Plan:
    """A reply as stream events: each event's parts and the candidate tokens it adds."""

    events: list[tuple[list[dict[str, Any]], int]]
    finish: str
    thoughts: int


def _plan(request: _Generate, directives: GeminiDirectives) -> _Plan:
    events: list[tuple[list[dict[str, Any]], int]] = []
    thoughts = THOUGHT_TOKENS if request.include_thoughts else 0
    if thoughts:
        events.append(([{"text": THOUGHT_TEXT, "thought": True}], 0))
    finish = "STOP"
    last = request.contents[-1]
    results = [_get(p, "function_response") for p in _get(last, "parts") if _get(p, "function_response")]
    if results:
        events.append(([{"text": f"result: {function_result_text(results[-1].get('response'))}"}], 1))
    elif request.functions and request.mode != "NONE":
        name = request.allowed_names[0] if request.allowed_names else request.functions[0]
        arguments = TOOL_ARGUMENTS[:2] if directives.tools_2 else TOOL_ARGUMENTS[:1]
        # Gemini sends whole calls, also when streaming; newer models add an `id`, which is left out here.
        calls = [{"functionCall": {"name": name, "args": dict(args)}} for args in arguments]
        events.append((calls, TOOL_CALL_TOKENS * len(calls)))
    elif request.json_mode:
        events.append(([{"text": JSON_REPLY}], 1))
    else:
        chunks = directives.common.chunks
        cap = request.max_output_tokens
        n_tokens = chunks if cap is None else min(chunks, cap)
        if cap is not None and cap < chunks:
            finish = "MAX_TOKENS"
        events.extend(([{"text": token}], 1) for token in completion_chunks(n_tokens))
    if len(events) == (1 if thoughts else 0):
        # Nothing to say (chunks-0): Gemini still ends with an event carrying an empty text part.
        events.append(([{"text": ""}], 0))
    return _Plan(events, finish, thoughts)


def _merged_parts(plan: _Plan) -> list[dict[str, Any]]:
    """The parts of the non-stream answer: the streamed text pieces joined, like Gemini's own answer."""
    parts: list[dict[str, Any]] = []
    for event_parts, _ in plan.events:
        for part in event_parts:
            previous = parts[-1] if parts else None
            if previous is not None and set(part) == {"text"} and set(previous) == {"text"}:
                parts[-1] = {"text": previous["text"] + part["text"]}
            else:
                parts.append(dict(part))
    return parts


def _safety_ratings(blocked: bool = False) -> list[dict[str, Any]]:
    ratings: list[dict[str, Any]] = []
    for category in _HARM_CATEGORIES:
        if blocked and category == _BLOCKED_CATEGORY:
            ratings.append({"category": category, "probability": "HIGH", "blocked": True})
        else:
            ratings.append({"category": category, "probability": "NEGLIGIBLE"})
    return ratings


def _usage(prompt: int, candidates: int | None, thoughts: int = 0) -> dict[str, Any]:
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    if candidates is not None:
        usage["candidatesTokenCount"] = candidates
    usage["totalTokenCount"] = prompt + (candidates or 0) + thoughts
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _response_id() -> str:
    return secrets.token_urlsafe(17)


@dataclass(frozen=True)
class _Answer:
    """A whole reply: the non-stream body, the stream events, and the (prompt, completion) each reports."""

    body: dict[str, Any]
    events: list[dict[str, Any]]
    body_usage: tuple[int, int]
    event_usages: list[tuple[int, int]]


def _blocked_answer(directives: GeminiDirectives, prompt: int, model: str) -> _Answer:
    payload: dict[str, Any]
    if directives.prompt_blocked:
        payload = {
            "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": _safety_ratings(blocked=True)}
        }
    else:
        payload = {
            "candidates": [
                {"finishReason": "SAFETY", "index": 0, "safetyRatings": _safety_ratings(blocked=True)}
            ]
        }
    if not directives.common.no_usage:
        # Gemini leaves candidatesTokenCount out when nothing was generated.
        payload["usageMetadata"] = _usage(prompt, None)
    payload["modelVersion"] = model
    payload["responseId"] = _response_id()
    return _Answer(payload, [payload], (prompt, 0), [(prompt, 0)])


def _answer(request: _Generate, directives: GeminiDirectives, prompt: int, model: str) -> _Answer:
    plan = _plan(request, directives)
    n = request.candidate_count
    no_usage = directives.common.no_usage
    response_id = _response_id()
    total_tokens = sum(tokens for _, tokens in plan.events)

    def payload(candidates: list[dict[str, Any]], usage: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {"candidates": candidates}
        if not no_usage:
            result["usageMetadata"] = usage
        result["modelVersion"] = model
        result["responseId"] = response_id
        return result

    parts = _merged_parts(plan)
    body = payload(
        [
            {
                "content": {"parts": parts, "role": "model"},
                "finishReason": plan.finish,
                "index": i,
                "safetyRatings": _safety_ratings(),
            }
            for i in range(n)
        ],
        _usage(prompt, n * total_tokens, plan.thoughts),
    )

    events: list[dict[str, Any]] = []
    event_usages: list[tuple[int, int]] = []
    so_far = 0
    for k, (event_parts, tokens) in enumerate(plan.events):
        so_far += tokens
        last = k == len(plan.events) - 1
        candidates: list[dict[str, Any]] = []
        for i in range(n):
            candidate: dict[str, Any] = {"content": {"parts": event_parts, "role": "model"}}
            if last:
                candidate["finishReason"] = plan.finish
            candidate["index"] = i
            if last:
                candidate["safetyRatings"] = _safety_ratings()
            candidates.append(candidate)
        events.append(payload(candidates, _usage(prompt, n * so_far, plan.thoughts)))
        event_usages.append((prompt, n * so_far + plan.thoughts))
    return _Answer(body, events, (prompt, n * total_tokens + plan.thoughts), event_usages)


# ---------------------------------------------------------------- the server


class FakeGeminiUpstream(FakeServer):
    """A Gemini API server on 127.0.0.1 running in a background thread.

    `requests` records every request on arrival; `usages` holds (promptTokenCount, completion) for every
    answer that reported usage, in order, where completion = candidatesTokenCount + thoughtsTokenCount
    (what Gemini bills as output).  A dropped stream records the usage of the last event it sent.
    """

    base_path = "/v1beta"

    def __init__(self, api_key: str | None = "sk-upstream-test") -> None:
        super().__init__(api_key)
        self.usages: list[tuple[int, int]] = []
        self._usages_lock = threading.Lock()

    def reset(self) -> None:
        super().reset()
        with self._usages_lock:
            self.usages.clear()

    def _record_usage(self, usage: tuple[int, int]) -> None:
        with self._usages_lock:
            self.usages.append(usage)

    def _add_routes(self, app: web.Application) -> None:
        # `{model:[^/:]+}` stops the variable at the colon that introduces the custom method.
        model = "/v1beta/models/{model:[^/:]+}"
        app.router.add_post(f"{model}:generateContent", self._generate_content)
        app.router.add_post(f"{model}:streamGenerateContent", self._stream_generate_content)
        app.router.add_post(f"{model}:embedContent", self._embed_content)
        app.router.add_post(f"{model}:batchEmbedContents", self._batch_embed_contents)
        app.router.add_get(model, self._get_model)

    def _not_found(self, request: web.Request) -> web.Response:
        return _error_response(404, "Method not found.")

    def _check_auth(self, request: web.Request, method: str) -> None:
        if self.api_key is None:
            return
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if key == self.api_key:
            return
        metadata = {"service": "generativelanguage.googleapis.com", "method": _SERVICE + method}
        if not key:
            if request.headers.get("Authorization"):
                # A Gemini API key sent as a Bearer token is taken for an OAuth token, and refused.
                raise _ApiError(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                    "cookie or other valid authentication credential. See "
                    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                    details=[
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                            "domain": "googleapis.com",
                            "metadata": metadata,
                        }
                    ],
                )
            raise _ApiError(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
            )
        message = "API key not valid. Please pass a valid API key."
        raise _ApiError(
            400,
            message,
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": message,
                },
            ],
        )

    @staticmethod
    async def _read_body(request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise _bad_request("Invalid JSON payload received. Unexpected token.") from None
        if not isinstance(body, dict):
            raise _bad_request(
                'Invalid JSON payload received. Unknown name "": Root element must be a message.'
            )
        return body

    # ---------------------------------------------------------------- models.get

    async def _get_model(self, request: web.Request) -> web.Response:
        model = request.match_info["model"]
        try:
            self._check_auth(request, "GetModel")
        except _ApiError as exc:
            return exc.response()
        fail = parse_directives(model).fail_status
        if fail is not None:
            return _directed_failure(fail, model, "getModel")
        # Any name is "known": directive-laden names are invented per test.
        return _json_response(
            {
                "name": f"models/{model}",
                "version": "001",
                "displayName": model,
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 8192,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
                "temperature": 1,
                "topP": 0.95,
                "topK": 64,
            }
        )

    # ---------------------------------------------------------------- generateContent

    async def _generate_content(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, stream=False)

    async def _stream_generate_content(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, stream=True)

    async def _generate(self, request: web.Request, *, stream: bool) -> web.StreamResponse:
        model = request.match_info["model"]
        method = "StreamGenerateContent" if stream else "GenerateContent"
        try:
            self._check_auth(request, method)
            if stream and request.query.get("alt") != "sse":
                raise _bad_request(
                    "This fake supports streamGenerateContent only with alt=sse; without it Gemini streams "
                    "one JSON array, which this fake does not implement."
                )
            body = await self._read_body(request)
            validated = _validate_generate(body)
        except _ApiError as exc:
            return exc.response()

        directives = parse_gemini_directives(model)
        common = directives.common
        if common.fail_status is not None:
            return _directed_failure(common.fail_status, model, method[:1].lower() + method[1:])
        if common.hang:
            return await self._hang(request)

        prompt = expected_prompt_tokens(body)
        if directives.prompt_blocked or directives.safety_block:
            answer = _blocked_answer(directives, prompt, model)
        else:
            answer = _answer(validated, directives, prompt, model)

        if stream:
            return await self._stream(request, common, answer)

        await asyncio.sleep((common.ttft_ms + common.delay_ms * len(answer.events)) / 1000)
        if common.drop_mid_stream:
            return await drop_connection(request)
        if common.bad_json:
            return web.Response(
                text='{\n  "candidates": [<<not json\n', content_type="application/json", charset="UTF-8"
            )
        if not common.no_usage:
            self._record_usage(answer.body_usage)
        return _json_response(answer.body)

    async def _stream(
        self, request: web.Request, directives: Directives, answer: _Answer
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Cache-Control": "no-cache"})
        response.content_type = "text/event-stream"
        await response.prepare(request)
        try:
            await asyncio.sleep(directives.ttft_ms / 1000)
            if directives.bad_json:
                await response.write(b'data: {"candidates": [<<not json\r\n\r\n')
                await response.write_eof()
                return response
            stop_after = len(answer.events) // 2 if directives.drop_mid_stream else None
            for k, event in enumerate(answer.events):
                if k == stop_after:
                    break
                await asyncio.sleep(directives.delay_ms / 1000)
                if not directives.no_usage and (k == len(answer.events) - 1 or k + 1 == stop_after):
                    # Recorded before the event leaves: a client that stops reading at finishReason may
                    # look at `usages` before this handler gets to run again.
                    self._record_usage(answer.event_usages[k])
                # Gemini frames its events with CRLF and sends no [DONE] sentinel: the stream just ends.
                await response.write(f"data: {json.dumps(event, ensure_ascii=False)}\r\n\r\n".encode())
            if stop_after is not None:
                await drop_connection(request)
                return response
            await response.write_eof()
        except ConnectionError:
            # The client went away mid-stream; that is a scenario under test, not a server error.
            pass
        return response

    # ---------------------------------------------------------------- embeddings

    async def _embed_content(self, request: web.Request) -> web.StreamResponse:
        def build(body: dict[str, Any], model: str) -> dict[str, Any]:
            root = "EmbedContentRequest"
            _check_unknown_fields(body, root)
            text, dimensions = _validate_embed_request(root, body, "", expected_model=None)
            return {"embedding": {"values": expected_embedding(text, dimensions)}}

        return await self._embed(request, "EmbedContent", build)

    async def _batch_embed_contents(self, request: web.Request) -> web.StreamResponse:
        def build(body: dict[str, Any], model: str) -> dict[str, Any]:
            root = "BatchEmbedContentsRequest"
            _check_unknown_fields(body, root)
            requests = _get(body, "requests")
            if requests is None or requests == []:
                raise _field_error(root, "requests", "requests is not specified")
            requests = _expect_list(requests, "requests", _PROTO + "EmbedContentRequest")
            if len(requests) > MAX_BATCH_EMBED_REQUESTS:
                raise _field_error(
                    root, "requests", f"at most {MAX_BATCH_EMBED_REQUESTS} requests can be in one batch"
                )
            embeddings: list[dict[str, Any]] = []
            for i, item in enumerate(requests):
                text, dimensions = _validate_embed_request(
                    root, item, f"requests[{i}]", expected_model=f"models/{model}"
                )
                embeddings.append({"values": expected_embedding(text, dimensions)})
            return {"embeddings": embeddings}

        return await self._embed(request, "BatchEmbedContents", build)

    async def _embed(
        self,
        request: web.Request,
        method: str,
        build: Callable[[dict[str, Any], str], dict[str, Any]],
    ) -> web.StreamResponse:
        model = request.match_info["model"]
        try:
            self._check_auth(request, method)
            result = build(await self._read_body(request), model)
        except _ApiError as exc:
            return exc.response()
        directives = parse_directives(model)
        if directives.fail_status is not None:
            return _directed_failure(directives.fail_status, model, method[:1].lower() + method[1:])
        if directives.hang:
            return await self._hang(request)
        await asyncio.sleep((directives.ttft_ms + directives.delay_ms) / 1000)
        if directives.drop_mid_stream:
            return await drop_connection(request)
        if directives.bad_json:
            return web.Response(text='{\n  "embedding": [<<not json\n', content_type="application/json")
        # No usageMetadata: Gemini's embedding methods report no token counts.
        return _json_response(result)
