export type * from './types.ts';
export { scatterSpec, COLORS, type ScatterOptions } from './scatter-spec.ts';
export { frequencySpec } from './frequency-spec.ts';
export { renderSvg, tidySvg } from './render-svg.ts';
export { markdownTable, fitsMarkdown, csvTable, latexTable } from './tables.ts';
export { reportHtml, headlineText, esc, type HtmlInput } from './html.ts';
export { buildReport, headlineOf, gatherCounts, type ReportOptions } from './build-report.ts';
export { slugOf } from './format.ts';
