// The client script, imported as text (`with { type: "text" }`) and served by the dashboard.
declare const text: string;
export default text;
