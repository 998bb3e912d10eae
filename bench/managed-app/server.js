// The backend of bench/managed-backends.sh: Express on 127.0.0.1:$PORT.
const express = require('express');
const app = express();
const version = process.env.APP_VERSION || require('./version.json').v;
app.disable('x-powered-by');
app.disable('etag');
app.get('/api/health', (req, res) => res.type('text').send('ok'));
app.get('/api/x', (req, res) => res.json({ ok: true, v: version }));
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () =>
  console.log(`listening on ${process.env.PORT} (deployment ${process.env.SKEWGATE_DEPLOYMENT || 'by hand'})`));
server.keepAliveTimeout = 65000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
