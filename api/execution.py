"""GraphQL execution with a fast path for fields that only read an attribute.

A ranking page or a timeline answers 400-700 fields, nearly all of them plain
attributes of the objects a resolver returned (``rank``, ``handle``, ``text``...).
graphql-core completes each one through the same machinery as a resolver with
arguments: a path entry, a resolve-info object, the resolver call, awaitable checks
and a dispatch on the return type, about 7 µs a field, 3-4 ms a page.

:class:`PlainFieldsExecution` looks at each selection once per request and, for a
field whose whole selected subtree is plain (strawberry's default resolver, no
arguments, no directives, object types without ``is_type_of`` checks that could
fail, no interfaces or unions), builds a completer: ``getattr`` and the scalar's
``coerce_output_value``, nested for objects and lists. Everything else runs through
graphql-core unchanged. A completer never reports errors itself: on anything
unexpected (a null where the schema promises a value, a value its scalar refuses) the
field is run again on graphql-core's path, which produces the usual error, at the
usual path. Reading an attribute twice is harmless, which is what makes that safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationDefinitionNode,
    SelectionSetNode,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["PlainFieldsExecution"]

Completer = Callable[[Any], Any]
FieldDetailsList = list[FieldDetails]

_DEFINITION = "strawberry-definition"


class _Fallback(Exception):
    """A fast completer met something only graphql-core's path can report."""


def _non_null(inner: Completer) -> Completer:
    def complete(value: Any) -> Any:
        out = inner(value)
        if out is None:
            raise _Fallback
        return out
    return complete


def _list(inner: Completer) -> Completer:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, list | tuple):
            raise _Fallback  # generators, async iterables, wrong types: graphql-core's job
        return [inner(item) for item in value]
    return complete


def _leaf(coerce: Callable[[Any], Any]) -> Completer:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Exception):
            raise _Fallback
        out = coerce(value)
        if out is None or out is Undefined:
            raise _Fallback
        return out
    return complete


# Plans shared between requests, by operation node: (operation, fragments, plans). The
# entry keeps the nodes alive, so the node ids in a plan's key stay unique.
_SHARED: OrderedDict[int, tuple[OperationDefinitionNode, Any, dict[Any, Any]]] = OrderedDict()
_SHARED_LOCK = threading.Lock()
SHARED_OPERATIONS = 256


def _shared_plans(operation: OperationDefinitionNode, fragments: dict[str, Any]
                  ) -> dict[Any, Any] | None:
    """The plans every request of ``operation`` can share, or None when its fields
    depend on the request's variables (an @include or @skip, or any other directive)."""
    key = id(operation)
    with _SHARED_LOCK:
        entry = _SHARED.get(key)
        if entry is not None and entry[0] is operation:
            _SHARED.move_to_end(key)
            return entry[2]
    if _has_directives(operation.selection_set, fragments, set()) or operation.directives:
        return None
    plans: dict[Any, Any] = {}
    with _SHARED_LOCK:
        _SHARED[key] = (operation, fragments, plans)
        while len(_SHARED) > SHARED_OPERATIONS:
            _SHARED.popitem(last=False)
    return plans


def _has_directives(selection_set: SelectionSetNode | None, fragments: dict[str, Any],
                    seen: set[str]) -> bool:
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if selection.directives:
            return True
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in seen:
                seen.add(name)
                fragment = fragments.get(name)
                if fragment is not None and (fragment.directives or _has_directives(
                        fragment.selection_set, fragments, seen)):
                    return True
        elif _has_directives(getattr(selection, "selection_set", None), fragments, seen):
            return True
    return False


class PlainFieldsExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain fields completed directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (parent type, id of a grouped field set) -> the set (kept alive, so the id
        # stays unique) and one completer or None (graphql-core's path) per field
        self._plans: dict[tuple[str, int], tuple[Any, list[Completer | None]]] = {}
        # the same plans by the selection's field nodes, shared by every request of
        # this operation text (the parser cache hands each the same document)
        self._shared = _shared_plans(self.operation, self.fragment_definitions)

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any,
                       path: Path | None, grouped_field_set: Any,
                       position_context: Any) -> AwaitableOrValue[dict[str, Any]]:
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            # an extension wraps every resolver (strawberry builds an empty manager
            # when none does)
            return super().execute_fields(parent_type, source_value, path, grouped_field_set,
                                          position_context)
        plan = self._plan(parent_type, grouped_field_set)
        if not any(plan):
            return super().execute_fields(parent_type, source_value, path, grouped_field_set,
                                          position_context)
        results: dict[str, Any] = {}
        awaitable: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for (response_name, details), fast in zip(grouped_field_set.items(), plan,
                                                      strict=True):
                if fast is not None:
                    try:
                        results[response_name] = fast(source_value)
                        continue
                    except Exception:  # noqa: BLE001 - graphql-core's path reports it
                        pass
                result = self.execute_field(parent_type, source_value, details,
                                            Path(path, response_name, parent_type.name),
                                            position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable.append(response_name)
        except Exception:
            if awaitable:
                self.settle_in_background([results[name] for name in awaitable])
            raise
        if not awaitable:
            return results

        async def gather() -> dict[str, Any]:
            if len(awaitable) == 1:
                results[awaitable[0]] = await results[awaitable[0]]
            else:  # concurrently, so that DataLoaders batch the fields' loads
                done = await gather_with_cancel(*(results[name] for name in awaitable))
                results.update(zip(awaitable, done, strict=True))
            return results
        return gather()

    # ------------------------------------------------------------------ plans
    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any
              ) -> list[Completer | None]:
        key = (parent_type.name, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        shared_key = (parent_type.name, tuple(
            (name, *(id(d.node) for d in details)) for name, details in grouped_field_set.items()))
        plan = self._shared.get(shared_key) if self._shared is not None else None
        if plan is None:
            plan = [self._field_completer(parent_type, details)
                    for details in grouped_field_set.values()]
            if self._shared is not None:
                self._shared[shared_key] = plan
        self._plans[key] = (grouped_field_set, plan)
        return plan

    def _field_completer(self, parent_type: GraphQLObjectType, details: FieldDetailsList
                         ) -> Completer | None:
        """A completer reading the field from its parent object, or None."""
        if any(d.defer_usage is not None or d.node.directives or d.node.arguments
               for d in details):
            return None
        name = details[0].node.name.value
        if name == "__typename":
            typename = parent_type.name
            return lambda _source: typename
        field_def = self.schema.get_field(parent_type, name)
        if field_def is None or field_def.args or \
                not getattr(field_def.resolve, "_is_default", False):
            return None
        definition = (field_def.extensions or {}).get(_DEFINITION)
        if definition is None or not definition.is_basic_field:
            return None
        complete = self._type_completer(field_def.type, details)
        if complete is None:
            return None
        attr, default_resolver = definition.python_name, definition.default_resolver
        if default_resolver is getattr:
            return lambda source: complete(getattr(source, attr))
        return lambda source: complete(default_resolver(source, attr))

    def _type_completer(self, type_: GraphQLOutputType, details: FieldDetailsList
                        ) -> Completer | None:
        if is_non_null_type(type_):
            assert isinstance(type_, GraphQLNonNull)
            inner = self._type_completer(type_.of_type, details)
            return _non_null(inner) if inner is not None else None
        if is_list_type(type_):
            assert isinstance(type_, GraphQLList)
            inner = self._type_completer(type_.of_type, details)
            return _list(inner) if inner is not None else None
        if is_leaf_type(type_):
            return _leaf(type_.coerce_output_value)
        if not is_object_type(type_):
            return None  # interfaces and unions resolve their runtime type
        assert isinstance(type_, GraphQLObjectType)
        if type_.is_type_of is not None:
            return None
        collected = self.collect_subfields(type_, details)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            return None
        fields: list[tuple[str, Completer]] = []
        for response_name, sub_details in collected.grouped_field_set.items():
            sub = self._field_completer(type_, sub_details)
            if sub is None:
                return None
            fields.append((response_name, sub))
        return _object(fields)


def _object(fields: list[tuple[str, Completer]]) -> Completer:
    """Completes an object: each field's completer reads its own attribute."""
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Exception):
            raise _Fallback
        return {name: complete_field(value) for name, complete_field in fields}
    return complete
