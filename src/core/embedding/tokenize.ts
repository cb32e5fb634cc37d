/** Word tokens as GloVe (Wikipedia + Gigaword, lowercased) spells them. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
}
