/**
 * Imported first by the benchmark: graphql-js checks NODE_ENV when it loads and, outside production,
 * runs slower development checks (instanceOf) on every input value. A deployment sets
 * NODE_ENV=production; so does the benchmark unless NODE_ENV is set.
 */
process.env.NODE_ENV ??= 'production';
