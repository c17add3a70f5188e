import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';

export interface QueryLimits {
  /** Deepest field nesting allowed. */
  maxDepth: number;
  /** Aliased fields allowed in one document. */
  maxAliases: number;
  /** Estimated cost allowed: each field costs 1, multiplied by the page sizes above it. */
  maxCost: number;
  /** Page size assumed for a list field without `first`. */
  defaultListSize: number;
}

/**
 * Validation rules that refuse expensive documents before anything runs: too deep, too many
 * aliases (the classic batching amplification), or too costly in estimated rows.
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [(context) => limitsVisitor(context, limits)];
}

function limitsVisitor(context: ValidationContext, limits: QueryLimits): ASTVisitor {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

  let aliases = 0;
  let aliasesReported = false;
  return {
    Field(node) {
      if (node.alias) aliases += 1;
      if (aliases > limits.maxAliases && !aliasesReported) {
        aliasesReported = true;
        context.reportError(new GraphQLError(`The query uses more than ${limits.maxAliases} aliases`, { nodes: [node] }));
      }
    },
    OperationDefinition(node) {
      const { depth, cost } = measure(node.selectionSet, fragments, limits, new Set());
      if (depth > limits.maxDepth) {
        context.reportError(new GraphQLError(`The query is ${depth} levels deep; the limit is ${limits.maxDepth}`, { nodes: [node] }));
      }
      if (cost > limits.maxCost) {
        context.reportError(new GraphQLError(`The query's estimated cost ${cost} exceeds the limit of ${limits.maxCost}`, { nodes: [node] }));
      }
    },
  };
}

function measure(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  limits: QueryLimits,
  visiting: Set<string>,
): { depth: number; cost: number } {
  let depth = 0;
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!selection.selectionSet) {
        cost += 1;
        depth = Math.max(depth, 1);
        continue;
      }
      const inner = measure(selection.selectionSet, fragments, limits, visiting);
      const first = selection.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'limit');
      const multiplier = first ? listSize(first.value, limits.defaultListSize) : 1;
      cost += 1 + multiplier * inner.cost;
      depth = Math.max(depth, 1 + inner.depth);
    } else {
      const target = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      if (!target || (selection.kind === Kind.FRAGMENT_SPREAD && visiting.has(selection.name.value))) continue;
      if (selection.kind === Kind.FRAGMENT_SPREAD) visiting.add(selection.name.value);
      const inner = measure(target.selectionSet, fragments, limits, visiting);
      if (selection.kind === Kind.FRAGMENT_SPREAD) visiting.delete(selection.name.value);
      cost += inner.cost;
      depth = Math.max(depth, inner.depth);
    }
  }
  return { depth, cost };
}

/** A literal page size, or the default when it comes from a variable (checked later by `first` caps). */
function listSize(value: ValueNode, fallback: number): number {
  return value.kind === Kind.INT ? Math.max(1, Number(value.value)) : fallback;
}
