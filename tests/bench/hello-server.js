// The baseline: the same hello as a bare Node.js HTTP server, no platform in between.
const http = require('http');
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ statusCode: 200, body: JSON.stringify({ msg: 'hello' }) }));
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
