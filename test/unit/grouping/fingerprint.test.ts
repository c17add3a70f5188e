import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';

import {
  computeFingerprint,
  type FingerprintInput,
  normalizeMessage,
  topApplicationFrames,
} from '../../../src/grouping/fingerprint';

const JAVA_NESTED_CAUSES = `org.springframework.dao.DataIntegrityViolationException: could not execute statement; constraint [uk_orders_external_id]
\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.convertHibernateAccessException(HibernateJpaDialect.java:276)
\tat com.acme.orders.OrderRepository.save(OrderRepository.java:57)
\tat com.acme.orders.OrderConsumer.handle(OrderConsumer.java:42)
\tat java.base/java.lang.Thread.run(Thread.java:833)
Caused by: org.hibernate.exception.ConstraintViolationException: could not execute statement
\tat org.hibernate.exception.internal.SQLStateConversionDelegate.convert(SQLStateConversionDelegate.java:109)
\tat com.acme.orders.persistence.OrderWriter.insert(OrderWriter.java:88)
\t... 24 common frames omitted
Caused by: java.sql.SQLIntegrityConstraintViolationException: Duplicate entry 'ext-1001' for key 'uk_orders_external_id'
\tat com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:117)
\tat com.mysql.cj.jdbc.ClientPreparedStatement.executeUpdateInternal(ClientPreparedStatement.java:1061)
\tat com.zaxxer.hikari.pool.HikariProxyPreparedStatement.executeUpdate(HikariProxyPreparedStatement.java)
\tat com.acme.orders.persistence.OrderWriter.insertRow(OrderWriter.java:102)
\tat com.acme.orders.persistence.OrderWriter.insert(OrderWriter.java:85)
\t... 30 more`;

const JAVA_SIMPLE = `java.lang.IllegalStateException: Order 42 is already shipped
\tat com.acme.orders.domain.Order.ship(Order.java:118)
\tat com.acme.orders.ShipmentService.lambda$shipAll$0(ShipmentService.java:64)
\tat java.base/java.util.ArrayList.forEach(ArrayList.java:1596)
\tat com.acme.orders.ShipmentService.shipAll(ShipmentService.java:63)
\tat jdk.internal.reflect.GeneratedMethodAccessor12.invoke(Unknown Source)
\tat org.springframework.aop.support.AopUtils.invokeJoinpointUsingReflection(AopUtils.java:355)
\tat com.acme.orders.ShipmentJob.run(ShipmentJob.java:31)
\tat com.acme.orders.ShipmentJob$$SpringCGLIB$$0.run(<generated>)`;

const JAVA_LIBRARY_ONLY_CAUSE = `org.springframework.web.client.ResourceAccessException: I/O error on POST request for "http://billing:8080/invoices": Connection refused
\tat org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:888)
\tat com.acme.billing.InvoiceClient.create(InvoiceClient.java:37)
\tat com.acme.billing.InvoiceListener.onMessage(InvoiceListener.java:22)
\tat io.netty.channel.nio.NioEventLoop.run(NioEventLoop.java:569)
Caused by: java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)
\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:554)
\tat java.base/java.net.Socket.connect(Socket.java:633)
\t... 12 more`;

const JAVA_SUPPRESSED = `java.io.IOException: upload failed
\tat com.acme.media.Uploader.upload(Uploader.java:71)
\tat com.acme.media.UploadTask.call(UploadTask.java:19)
\tSuppressed: java.io.IOException: close failed
\t\tat com.acme.media.TempFile.close(TempFile.java:40)
\t\tat com.acme.media.Uploader.upload(Uploader.java:75)
\t\t... 1 more`;

const NODE_ASYNC = `TypeError: Cannot read properties of undefined (reading 'customerId')
    at OrderWorker.process (/app/src/worker.js:10:5)
    at async Promise.all (index 0)
    at async Consumer.run (/app/src/consumer.js:55:12)
    at async Runner.runBatch (/app/node_modules/kafkajs/src/consumer/runner.js:200:9)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;

const NODE_ANONYMOUS = `Error: Invalid invoice total
    at Array.map (<anonymous>)
    at /app/dist/handlers/invoice.js:88:17
    at new InvoiceBuilder (/app/dist/domain/invoice-builder.js:14:11)
    at Object.<anonymous> (file:///app/dist/main.mjs:3:1)
    at Module._compile (node:internal/modules/cjs/loader:1256:14)
    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)`;

const PYTHON_TRACEBACK = `Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/celery/app/trace.py", line 451, in trace_task
    R = retval = fun(*args, **kwargs)
  File "/app/orders/tasks.py", line 18, in sync_order
    return worker.handle(order_id)
  File "/app/orders/worker.py", line 42, in handle
    amount = payload["amount"]
             ~~~~~~~^^^^^^^^^^
KeyError: 'amount'`;

const PYTHON_CHAINED = `Traceback (most recent call last):
  File "/app/billing/client.py", line 30, in fetch_invoice
    return response.json()
  File "/usr/lib/python3/dist-packages/requests/models.py", line 975, in json
    raise RequestsJSONDecodeError(e.msg, e.doc, e.pos)
requests.exceptions.JSONDecodeError: Expecting value: line 1 column 1 (char 0)

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/billing/tasks.py", line 12, in sync_invoices
    invoice = client.fetch_invoice(invoice_id)
  File "/app/billing/client.py", line 33, in fetch_invoice
    raise BillingUnavailable(invoice_id) from None
  File "/usr/lib/python3.11/contextlib.py", line 155, in __exit__
    self.gen.throw(typ, value, traceback)
billing.errors.BillingUnavailable: 4711`;

const GO_PANIC = `panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b3c]

goroutine 18 [running]:
panic({0x4b2e60?, 0x5f8d20?})
\t/usr/local/go/src/runtime/panic.go:914 +0x21f
main.(*Worker).Process(0xc000010000, {0x4b2e60, 0xc000012345})
\t/app/worker.go:42 +0x1d
main.(*Worker).Run(0xc000010000)
\t/app/worker.go:27 +0x85
created by main.main in goroutine 1
\t/app/main.go:15 +0x6f
exit status 2`;

const GO_MODULES = `goroutine 7 [running]:
runtime/debug.Stack()
\t/usr/local/go/src/runtime/debug/stack.go:24 +0x5e
github.com/acme/orders/internal/recovery.Wrap.func1()
\t/src/internal/recovery/recovery.go:19 +0x45
github.com/jackc/pgx/v5.(*Conn).Exec(0xc0001b2000, {0x9a3c40, 0xc00012e000}, {0x8f1b2a, 0x2c}, {0x0, 0x0, 0x0})
\t/go/pkg/mod/github.com/jackc/pgx/v5@v5.5.4/conn.go:482 +0x1c5
github.com/acme/orders/internal/store.(*OrderStore).Insert(...)
\t/src/internal/store/orders.go:88
github.com/acme/orders/internal/consumer.(*Handler).Handle(0xc0000a4180, {0x9a3c40, 0xc00012e000}, 0xc0002d6000)
\t/src/internal/consumer/handler.go:51 +0x2b8`;

const LIBRARY_ONLY = `Error: socket hang up
    at connResetException (node:internal/errors:720:14)
    at TLSSocket.socketOnEnd (node:_http_client:525:23)
    at TLSSocket.emit (node:events:529:35)
    at endReadableNT (node:internal/streams/readable:1400:12)
    at process.processTicksAndRejections (node:internal/process/task_queues:82:21)
    at processTimers (node:internal/timers:512:7)`;

const DEEP_NODE = Array.from({ length: 8 }, (_, i) => `    at step${i} (/app/src/pipeline.js:${i + 1}:3)`).join('\n');

const base: FingerprintInput = {
  serviceId: 'svc-orders',
  taskType: 'orders.sync',
  errorType: 'TypeError',
  errorMessage: "Cannot read properties of undefined (reading 'customerId')",
  stackTrace: NODE_ASYNC,
};
const fingerprintOf = (overrides: Partial<FingerprintInput>): string => computeFingerprint({ ...base, ...overrides }).fingerprint;

describe('normalizeMessage', () => {
  it.each([
    // Java
    ['Cannot invoke "String.length()" because "<local1>" is null', 'Cannot invoke "<value>" because "<value>" is null'],
    ['Index 5 out of bounds for length 3', 'Index <num> out of bounds for length <num>'],
    ['HikariPool-1 - Connection is not available, request timed out after 30000ms.', 'HikariPool-1 - Connection is not available, request timed out after <num>ms.'],
    ['For input string: "12abc"', 'For input string: "<value>"'],
    ['Connection refused: localhost/127.0.0.1:5432', 'Connection refused: localhost/<ip>'],
    ['jdbc:mysql://db.internal:3306/orders?useSSL=false&serverTimezone=UTC: Communications link failure', 'jdbc:mysql://db.internal:3306/orders?useSSL=<value>&serverTimezone=<value>: Communications link failure'],
    // Node
    ['connect ECONNREFUSED 10.0.3.17:6379', 'connect ECONNREFUSED <ip>'],
    ["Cannot read properties of undefined (reading 'customerId')", "Cannot read properties of undefined (reading '<value>')"],
    ['timeout of 5000ms exceeded', 'timeout of <num>ms exceeded'],
    ["ENOENT: no such file or directory, open '/tmp/uploads/5f1c2a9e.csv'", "ENOENT: no such file or directory, open '<value>'"],
    [`Unexpected token '<', "<!DOCTYPE html>"... is not valid JSON`, `Unexpected token '<value>', "<value>"... is not valid JSON`],
    ['Error [ERR_HTTP_HEADERS_SENT]: Cannot set headers after they are sent to the client', 'Error [ERR_HTTP_HEADERS_SENT]: Cannot set headers after they are sent to the client'],
    // Python
    ["invalid literal for int() with base 10: 'abc'", "invalid literal for int() with base <num>: '<value>'"],
    ["'NoneType' object has no attribute 'get'", "'<value>' object has no attribute '<value>'"],
    [
      "HTTPSConnectionPool(host='api.stripe.com', port=443): Max retries exceeded with url: /v1/charges (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f8b2c1d3e50>: Failed to establish a new connection: [Errno 111] Connection refused'))",
      "HTTPSConnectionPool(host='<value>', port=<num>): Max retries exceeded with url: /v1/charges (Caused by NewConnectionError('<value>'))",
    ],
    // Go
    ['dial tcp 10.0.0.5:5432: connect: connection refused', 'dial tcp <ip>: connect: connection refused'],
    ['runtime error: index out of range [5] with length 3', 'runtime error: index out of range [<num>] with length <num>'],
    ['Post "https://api.acme.io/v2/orders/8812/confirm": read tcp 172.17.0.3:51234->10.96.0.12:443: read: connection reset by peer', 'Post "<value>": read tcp <ip>-><ip>: read: connection reset by peer'],
    ['context deadline exceeded after 1m30.5s', 'context deadline exceeded after <num>m<num>s'],
    ['json: cannot unmarshal string into Go struct field Order.amount of type int64', 'json: cannot unmarshal string into Go struct field Order.amount of type int64'],
    // SQL / databases
    ['duplicate key value violates unique constraint "orders_pkey"\nDETAIL:  Key (id)=(42) already exists.', 'duplicate key value violates unique constraint "<value>" DETAIL: Key (id)=(<num>) already exists.'],
    ["ER_DUP_ENTRY: Duplicate entry 'jane.doe@example.com' for key 'users.email_unique'", "ER_DUP_ENTRY: Duplicate entry '<value>' for key '<value>'"],
    ['Process 12345 waits for ShareLock on transaction 67890; blocked by process 12346.', 'Process <num> waits for ShareLock on transaction <num>; blocked by process <num>.'],
    ["Table 'orders_db.order_items' doesn't exist", "Table '<value>' doesn't exist"],
    ['No document found for _id 65f1c2a9e4b0a1d2c3e4f5a6', 'No document found for _id <hex>'],
    // HTTP clients
    ['GET https://api.x.com/users/123/orders?id=9 failed with status 404', 'GET https://api.x.com/users/<id>/orders?id=<value> failed with status <num>'],
    [
      'Request to https://hooks.acme.io/webhooks/3f2a9c1e-8b7d-4e6f-a5b4-c3d2e1f0a9b8/deliver?attempt=3&ts=1714564800 timed out after 10s',
      'Request to https://hooks.acme.io/webhooks/<id>/deliver?attempt=<value>&ts=<value> timed out after <num>s',
    ],
    ['Unexpected response 502 Bad Gateway from http://10.0.4.7:8080/internal/reindex/', 'Unexpected response <num> Bad Gateway from http://<ip>/internal/reindex/'],
    ['Callback failed (see https://api.acme.io/v1/jobs/a3f9c2e1b7d4/logs).', 'Callback failed (see https://api.acme.io/v1/jobs/<id>/logs).'],
    // Kafka / RabbitMQ
    ['Expiring 12 record(s) for orders-3:120001 ms has passed since batch creation', 'Expiring <num> record(s) for orders-3:<num> ms has passed since batch creation'],
    ['Offset commit failed on partition payments-7 at offset 10452: The coordinator is not aware of this member.', 'Offset commit failed on partition payments-7 at offset <num>: The coordinator is not aware of this member.'],
    [
      'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - delivery acknowledgement on channel 2 timed out. Timeout value used: 1800000 ms."',
      'Channel closed by server: <num> (PRECONDITION-FAILED) with message "<value>"',
    ],
    ['Failed to connect to amqp://guest@rabbitmq.internal:5672/orders after 5 attempts', 'Failed to connect to amqp://guest@rabbitmq.internal:5672/orders after <num> attempts'],
    // AWS SDK
    [
      'User: arn:aws:sts::123456789012:assumed-role/worker-role/i-0abc123def4567890 is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::acme-uploads/2024/05/01/report.csv',
      'User: arn:aws:sts::<num>:assumed-role/worker-role/i-<hex> is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::acme-uploads/<timestamp>/report.csv',
    ],
    [
      'The receipt handle has expired (Service: AmazonSQS; Status Code: 400; Error Code: ReceiptHandleIsInvalid; Request ID: 9a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d; Proxy: null)',
      'The receipt handle has expired (Service: AmazonSQS; Status Code: <num>; Error Code: ReceiptHandleIsInvalid; Request ID: <uuid>; Proxy: null)',
    ],
    ['Rate exceeded for shard shardId-000000000003 in stream orders-stream under account 123456789012.', 'Rate exceeded for shard shardId-000000000003 in stream orders-stream under account <num>.'],
    // Timestamps, e-mails, hex, numbers, identifiers
    ['Job scheduled at 2024-05-01T12:00:00Z missed its deadline 2024-05-01T12:05:30.123+02:00', 'Job scheduled at <timestamp> missed its deadline <timestamp>'],
    ['lock held since 2024-05-01 12:00:00,123 by worker-7', 'lock held since <timestamp> by worker-7'],
    ['Cached response from Wed, 01 May 2024 12:00:00 GMT is stale', 'Cached response from <timestamp> is stale'],
    ['Mailbox unavailable for jane.doe+orders@example.co.uk', 'Mailbox unavailable for <email>'],
    ['Deploy of a3f9c2e1b7d4 failed; segfault at 0x7ffd5e8c3a10', 'Deploy of <hex> failed; segfault at <hex>'],
    ['balance would become -42.50 after debit', 'balance would become <num> after debit'],
    ['pod orders-worker-7f9c8d6b5-x2z4q OOMKilled at 512MiB', 'pod orders-worker-<hex>-x2z4q OOMKilled at <num>MiB'],
    ['TLS handshake failed over HTTP2 to s3.eu-west-1.amazonaws.com (utf8 decode, int64 overflow)', 'TLS handshake failed over HTTP2 to s3.eu-west-1.amazonaws.com (utf8 decode, int64 overflow)'],
    ['Range 10-20 rejected by HTTP/1.1 proxy, expected UTF-8', 'Range <num>-<num> rejected by HTTP/1.1 proxy, expected UTF-8'],
    ['  spread\tover\n\n  several   lines  ', 'spread over several lines'],
    // Tokens start after a non-word character, except double quotes and backticks, which may follow a letter.
    ['column name"order_id"is ambiguous', 'column name"<value>"is ambiguous'],
    ['run`ls -la`now failed with 2', 'run`<value>`now failed with <num>'],
    ["it's 'x' and user's key 'abc'", "it's '<value>' and user's key '<value>'"],
    ['id=42,count=7;x12 y_3 z.4 5', 'id=<num>,count=<num>;x12 y_3 z.4 <num>'],
  ])('normalises %j to %j', (message, expected) => {
    expect(normalizeMessage(message)).toBe(expected);
  });
});

describe('topApplicationFrames', () => {
  it.each([
    ['a Java trace uses the frames of its last "Caused by"', JAVA_NESTED_CAUSES, ['com.acme.orders.persistence.OrderWriter.insertRow', 'com.acme.orders.persistence.OrderWriter.insert']],
    [
      'a Java trace without a cause skips JDK, reflection and Spring frames',
      JAVA_SIMPLE,
      [
        'com.acme.orders.domain.Order.ship',
        'com.acme.orders.ShipmentService.lambda$shipAll$0',
        'com.acme.orders.ShipmentService.shipAll',
        'com.acme.orders.ShipmentJob.run',
        'com.acme.orders.ShipmentJob$$SpringCGLIB$$0.run',
      ],
    ],
    ['a Java root cause with only JDK frames falls back to the application frames of the whole trace', JAVA_LIBRARY_ONLY_CAUSE, ['com.acme.billing.InvoiceClient.create', 'com.acme.billing.InvoiceListener.onMessage']],
    ['a Java trace ignores the frames of suppressed exceptions', JAVA_SUPPRESSED, ['com.acme.media.Uploader.upload', 'com.acme.media.UploadTask.call']],
    ['a Node trace keeps async frames and skips node:internal and node_modules', NODE_ASYNC, ['OrderWorker.process (/app/src/worker.js)', 'Consumer.run (/app/src/consumer.js)']],
    [
      'a Node trace keeps anonymous, constructor and file URL frames',
      NODE_ANONYMOUS,
      ['/app/dist/handlers/invoice.js', 'new InvoiceBuilder (/app/dist/domain/invoice-builder.js)', 'Object.<anonymous> (file:///app/dist/main.mjs)'],
    ],
    ['a Python traceback is read innermost first without site-packages', PYTHON_TRACEBACK, ['/app/orders/worker.py in handle', '/app/orders/tasks.py in sync_order']],
    ['a chained Python traceback uses the last traceback', PYTHON_CHAINED, ['/app/billing/client.py in fetch_invoice', '/app/billing/tasks.py in sync_invoices']],
    ['a Go panic skips the runtime and strips arguments and offsets', GO_PANIC, ['main.(*Worker).Process (/app/worker.go)', 'main.(*Worker).Run (/app/worker.go)']],
    [
      'a Go trace skips the module cache and runtime/debug',
      GO_MODULES,
      [
        'github.com/acme/orders/internal/recovery.Wrap.func1 (/src/internal/recovery/recovery.go)',
        'github.com/acme/orders/internal/store.(*OrderStore).Insert (/src/internal/store/orders.go)',
        'github.com/acme/orders/internal/consumer.(*Handler).Handle (/src/internal/consumer/handler.go)',
      ],
    ],
    [
      'a trace of only runtime frames falls back to its first frames',
      LIBRARY_ONLY,
      [
        'connResetException (node:internal/errors)',
        'TLSSocket.socketOnEnd (node:_http_client)',
        'TLSSocket.emit (node:events)',
        'endReadableNT (node:internal/streams/readable)',
        'process.processTicksAndRejections (node:internal/process/task_queues)',
      ],
    ],
    ['a deep trace is cut to five frames', DEEP_NODE, [0, 1, 2, 3, 4].map((i) => `step${i} (/app/src/pipeline.js)`)],
    ['text without frames gives none', 'Error: something went wrong\nno stack available', []],
  ])('reads %s', (_title, trace, expected) => {
    expect(topApplicationFrames(trace)).toEqual(expected);
  });

  it('returns at most the requested number of frames', () => {
    expect(topApplicationFrames(DEEP_NODE, 2)).toEqual(['step0 (/app/src/pipeline.js)', 'step1 (/app/src/pipeline.js)']);
  });
});

describe('computeFingerprint', () => {
  it('gives messages that differ only in ids, numbers and timestamps the same fingerprint', () => {
    const first = computeFingerprint({ ...base, errorMessage: 'Order 42 (5f1c2a9e-0b1d-4c2e-9a3b-7d6e5f4c3b2a) failed at 2024-05-01T12:00:00Z on 10.0.0.5:8080' });
    const second = computeFingerprint({ ...base, errorMessage: 'Order 7 (0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d) failed at 2024-06-30T23:59:59.999+02:00 on 10.0.0.9:8080' });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(first.messageTemplate).toBe('Order <num> (<uuid>) failed at <timestamp> on <ip>');
  });

  it('separates failures of different error types, task types and services', () => {
    const fingerprints = [
      fingerprintOf({}),
      fingerprintOf({ errorType: 'RangeError' }),
      fingerprintOf({ taskType: 'orders.refund' }),
      fingerprintOf({ serviceId: 'svc-billing' }),
    ];
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it('ignores line and column changes in the stack trace', () => {
    const moved = NODE_ASYNC.replace('worker.js:10:5', 'worker.js:212:17').replace('consumer.js:55:12', 'consumer.js:61:3');
    expect(fingerprintOf({ stackTrace: moved })).toBe(fingerprintOf({}));
  });

  it('changes when a different application frame fails', () => {
    const elsewhere = NODE_ASYNC.replace('OrderWorker.process (/app/src/worker.js', 'RefundWorker.process (/app/src/refund-worker.js');
    expect(fingerprintOf({ stackTrace: elsewhere })).not.toBe(fingerprintOf({}));
  });

  it('groups otherwise different failures that share an override', () => {
    const first = fingerprintOf({ fingerprint: 'payment-gateway-down' });
    const second = fingerprintOf({ taskType: 'billing.charge', errorType: 'GatewayError', errorMessage: 'Bad gateway', stackTrace: GO_PANIC, fingerprint: 'payment-gateway-down' });
    expect(second).toBe(first);
  });

  it('separates otherwise identical failures with different overrides', () => {
    expect(fingerprintOf({ fingerprint: 'tenant-a' })).not.toBe(fingerprintOf({ fingerprint: 'tenant-b' }));
    expect(fingerprintOf({ fingerprint: 'tenant-a' })).not.toBe(fingerprintOf({}));
  });

  it('keeps overrides of different services apart', () => {
    expect(fingerprintOf({ fingerprint: 'shared' })).not.toBe(fingerprintOf({ fingerprint: 'shared', serviceId: 'svc-billing' }));
  });

  it('treats a blank override like no override', () => {
    expect(fingerprintOf({ fingerprint: '   ' })).toBe(fingerprintOf({ fingerprint: null }));
  });

  it('keeps identifiers such as ERR_HTTP_HEADERS_SENT, HTTP2 and S3 in the template', () => {
    const { messageTemplate } = computeFingerprint({ ...base, errorMessage: 'ERR_HTTP_HEADERS_SENT after HTTP2 upload of 3 parts to S3 failed' });
    expect(messageTemplate).toBe('ERR_HTTP_HEADERS_SENT after HTTP2 upload of <num> parts to S3 failed');
  });

  it('produces 64 lowercase hex characters', () => {
    expect(fingerprintOf({})).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintOf({ fingerprint: 'custom' })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable for the same input', () => {
    expect(computeFingerprint({ ...base })).toEqual(computeFingerprint({ ...base }));
  });

  it('is the SHA-256 of its components, also when the digest of the same components was kept from before', () => {
    const sha256 = (parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex');
    const long = `Timeout ${'x'.repeat(5_000)}`; // over the size whose digest is kept
    for (const errorMessage of ['Timeout after 30 s', 'Timeout after 31 s', long, long]) {
      const { fingerprint, messageTemplate, frames } = computeFingerprint({ ...base, errorMessage });
      expect(fingerprint).toBe(sha256(['v1', base.serviceId, base.taskType, base.errorType, normalizeMessage(errorMessage), ...frames]));
      expect(computeFingerprint({ ...base, errorMessage }).fingerprint).toBe(fingerprint);
      if (errorMessage !== long) expect(messageTemplate).toBe('Timeout after <num> s');
    }
    expect(computeFingerprint({ ...base, fingerprint: ' custom ' }).fingerprint).toBe(sha256(['v1-custom', base.serviceId, 'custom']));
    expect(computeFingerprint({ ...base, serviceId: 'other', fingerprint: 'custom' }).fingerprint).toBe(sha256(['v1-custom', 'other', 'custom']));
  });

  it('returns the frames it used', () => {
    expect(computeFingerprint(base).frames).toEqual(['OrderWorker.process (/app/src/worker.js)', 'Consumer.run (/app/src/consumer.js)']);
    expect(computeFingerprint({ ...base, stackTrace: null }).frames).toEqual([]);
  });

  it('caps the template of a huge message at 1024 characters', () => {
    const huge = 'Payload rejected: '.concat('field "name" is invalid at index 12; '.repeat(5_000));
    const { messageTemplate, fingerprint } = computeFingerprint({ ...base, errorMessage: huge });
    expect(messageTemplate.length).toBeLessThanOrEqual(1024);
    expect(messageTemplate.startsWith('Payload rejected: field "<value>" is invalid at index <num>;')).toBe(true);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });
});
