/** The options of a filter select: "all" (the empty value) first, then one per value with its label. */
export function filterOptions<T extends string>(allLabel: string, values: readonly T[], labelOf: (value: T) => string): Array<{ value: string; label: string }> {
  return [{ value: '', label: allLabel }, ...values.map((value) => ({ value, label: labelOf(value) }))];
}
