"""Read the knowledge files' YAML: what PyYAML's safe loader returns, in about half the time.

PyYAML's C parser reads the text; its Python constructor then turns nodes into objects one
generator at a time, which was most of the time to load a directory of 10,000 services. Plain
mappings, lists and scalars are put together here from the parser's events instead, scalars
typed by PyYAML's own resolver. Anything rarer (anchors, aliases, tags, merge keys) goes to the
ordinary safe loader, so the result is always the one PyYAML gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_RESOLVER = yaml.resolver.Resolver()
# A plain scalar can only be a number, date, boolean or null if it starts with one of these.
_TYPED_START = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k)
_STR = "tag:yaml.org,2002:str"
_CONSTRUCTORS = {
    tag: yaml.SafeLoader.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:timestamp",
    )
}
_CONSTRUCTOR = yaml.SafeLoader("")  # only its stateless scalar methods are used


class _Rare(Exception):
    """The document uses a YAML feature left to the ordinary loader."""


def _scalar(event: ScalarEvent) -> Any:
    if event.anchor or event.tag not in (None, "!"):
        raise _Rare
    value = event.value
    if event.style or not event.implicit[0] or (value and value[0] not in _TYPED_START):
        return value  # quoted, or plain text that cannot be anything but a string
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag == _STR:
        return value
    construct = _CONSTRUCTORS.get(tag)
    if construct is None:
        raise _Rare  # a merge key ("<<") or a value key ("=")
    return construct(_CONSTRUCTOR, yaml.ScalarNode(tag, value))


def _assemble(text: str) -> Any:
    # Each open container: [the container, the key waiting for its value (boxed), is a mapping].
    stack: list[list[Any]] = []
    document: Any = None
    for event in yaml.parse(text, Loader=LOADER):
        kind = type(event)
        if kind is ScalarEvent:
            value = _scalar(event)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor or (event.tag not in (None, "!") and not event.implicit):
                raise _Rare
            mapping = kind is MappingStartEvent
            stack.append([{} if mapping else [], None, mapping])
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = stack.pop()[0]
        elif kind is AliasEvent:
            raise _Rare
        else:
            continue  # stream and document start and end
        if not stack:
            document = value
        elif not stack[-1][2]:
            stack[-1][0].append(value)
        elif stack[-1][1] is None:
            if isinstance(value, (dict, list)):
                raise _Rare  # a complex key; PyYAML says what is wrong with it
            stack[-1][1] = (value,)
        else:
            stack[-1][0][stack[-1][1][0]] = value
            stack[-1][1] = None
    return document


def load_yaml(text: str) -> Any:
    """The document in `text`, as `yaml.safe_load` returns it; raises yaml.YAMLError."""
    try:
        return _assemble(text)
    except _Rare:
        return yaml.load(text, Loader=LOADER)


def read_yaml(path: Path) -> Any:
    """The document in the file at `path` (UTF-8), as `yaml.safe_load` returns it."""
    return load_yaml(path.read_text(encoding="utf-8"))
