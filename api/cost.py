"""What a GraphQL operation will cost, counted before it runs (a validation rule).

Depth, alias and token limits bound how a document *looks*; they let 30 aliases of a
100 × 100 timeline fan-out through (16 s, 3.4 MB). :func:`cost_rule` counts what an
operation will *do*: every field costs 1 for each time it is resolved, and a field that
returns a list multiplies what is under it by the number of items it may return — its
``first`` / ``limit`` / ``top`` argument (a literal, the argument's default, or, for a
variable whose value validation cannot see, the largest the API accepts) or
:data:`DEFAULT_LIST_SIZE` for lists without one. Fields that run their own store work
(a timeline, the care queue, a network) add their :data:`FIELD_WEIGHTS` each time.
An operation above the limit is refused with its estimate, before any resolver runs.

Example: ``engagementTargets(first: 100) { edges { node { account {
interactions(first: 100) { edges { node { text postId time } } } } } } } }`` costs
about 42,000 (100 accounts × (a timeline's 20 + 100 × 4 fields)); the default limit
(``SCRM_MAX_QUERY_COST``, 60,000) lets one through, not two.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)

__all__ = ["DEFAULT_LIST_SIZE", "FIELD_WEIGHTS", "SIZE_ARGUMENTS", "cost_rule",
           "operation_cost"]

# arguments that bound how many items a list (or a connection's edges) holds, with the
# largest value the API accepts (what a variable is assumed to be)
SIZE_ARGUMENTS = {"first": 100, "limit": 2_000, "top": 100}
# a list with no size argument: notes, purchases, linked accounts, explanation factors
DEFAULT_LIST_SIZE = 10
# store work a field does each time it is resolved, besides its own 1
FIELD_WEIGHTS = {
    "interactions": 20,  # a timeline: one store query per account
    "careQueue": 200,
    "network": 500,
    "communities": 300,
    "influenceWithin": 500,
    "metrics": 300,
    "alerts": 300,  # the brand's posts, the window's posts for terms and topics, scores
    "conversation": 20,
    "engagementTargets": 10,
    "shareOfVoice": 50,
    "deliveries": 20,  # the outbox's items (a case's: its conversation's posts first)
}


def _list_type(field_type: Any) -> bool:
    while isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


class _Costing:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variable_defaults: dict[str, int]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.defaults = variable_defaults

    def size(self, node: FieldNode, field_def: Any) -> int | None:
        """How many items this field may return, if it says (a size argument)."""
        for argument in node.arguments or ():
            cap = SIZE_ARGUMENTS.get(argument.name.value)
            if cap is None:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(0, min(int(value.value), cap))
            if isinstance(value, VariableNode):
                return min(self.defaults.get(value.name.value, cap), cap)
            return cap
        for name, cap in SIZE_ARGUMENTS.items():
            arg = field_def.args.get(name) if field_def is not None else None
            if arg is not None:
                default = arg.default_value
                return min(default, cap) if isinstance(default, int) else cap
        return None

    def selection_cost(self, parent: Any, selection_set: SelectionSetNode | None,
                       seen: frozenset[str] = frozenset(), bound: int | None = None) -> int:
        """The cost of a selection set; ``bound`` is the size argument of the field that
        holds it, which bounds the lists right under it (a connection's ``edges``)."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(parent, selection, seen, bound)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value) or parent
                total += self.selection_cost(target, selection.selection_set, seen, bound)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue  # other rules report unknown or cyclic fragments
                target = self.schema.get_type(fragment.type_condition.name.value) or parent
                total += self.selection_cost(target, fragment.selection_set, seen | {name},
                                             bound)
        return total

    def field_cost(self, parent: Any, node: FieldNode, seen: frozenset[str],
                   bound: int | None) -> int:
        name = node.name.value
        field_def = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
        child_type = get_named_type(field_def.type) if field_def is not None else None
        size = self.size(node, field_def)
        own = 1 + FIELD_WEIGHTS.get(name, 0)
        if field_def is not None and _list_type(field_def.type):
            items = size if size is not None else bound if bound is not None \
                else DEFAULT_LIST_SIZE
            return own + items * self.selection_cost(child_type, node.selection_set, seen)
        # an object with a size argument (a connection, a network): it bounds its lists
        return own + self.selection_cost(child_type, node.selection_set, seen, size)


def operation_cost(schema: GraphQLSchema, operation: OperationDefinitionNode,
                   fragments: dict[str, FragmentDefinitionNode]) -> int:
    """The estimated cost of one operation (see the module's description)."""
    defaults = {
        definition.variable.name.value: int(definition.default_value.value)
        for definition in operation.variable_definitions or ()
        if isinstance(definition.default_value, IntValueNode)}
    root = (schema.mutation_type if operation.operation.value == "mutation"
            else schema.subscription_type if operation.operation.value == "subscription"
            else schema.query_type)
    return _Costing(schema, fragments, defaults).selection_cost(root, operation.selection_set)


def cost_rule(max_cost: int) -> type[ValidationRule]:
    """A graphql-core validation rule refusing operations that cost more than ``max_cost``.

    Build it once per limit: the validation cache keys on the rule classes.
    """

    class QueryCostRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = {d.name.value: d for d in document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                cost = operation_cost(context.schema, definition, fragments)
                if cost > max_cost:
                    context.report_error(GraphQLError(
                        f"this query would cost about {cost:,}, above the limit of "
                        f"{max_cost:,}; ask for smaller pages ('first', 'limit') or fewer "
                        "nested lists and aliases", definition))

    return QueryCostRule

