/**
 * An iban that may break between its groups of four (as it is printed on
 * paper), never inside one; it reads and copies as one word.
 */
export function Iban({ iban }: { iban: string }) {
  const groups = iban.match(/.{1,4}/g) ?? [iban];
  return (
    <span className="iban-groups">
      {groups.map((g, i) => (
        <span key={i}>
          {i > 0 && <wbr />}
          {g}
        </span>
      ))}
    </span>
  );
}
