// Imported first by the CLI: how far V8 lets the heap grow between full collections. The
// service keeps little (about 70 MB live at a large organisation) but works in large transient
// batches: a 10,000-record ingest, a quarter of records in a compute. By default V8 let the heap
// grow to four times the live set before collecting (a 350 MB peak for a full recompute of 500
// services); at one and a half times the same compute peaks at 230 MB in the same time (issue #7).
// A flag given on the command line or in NODE_OPTIONS wins.
import v8 from 'node:v8';

const FLAG = '--heap-growing-percent';
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg.startsWith(FLAG));
if (!given) v8.setFlagsFromString(`${FLAG}=50`);
