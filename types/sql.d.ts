// SQL files are imported as text (Bun's `with { type: "text" }`), so they ship inside the compiled binary.
declare module "*.sql" {
  const text: string;
  export default text;
}
