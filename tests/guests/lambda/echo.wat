;; A Lambda handler that returns its event: it copies stdin (the event JSON)
;; to stdout unchanged. Behind `apigw-v2` an object without `statusCode` is
;; the body of a 200 JSON response, so the client receives the very event the
;; handler was given. Behind `apigw-v1` the same return value is a malformed
;; proxy response (no `statusCode`). Events up to 8 MiB fit.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  ;; 0..16: one iovec and the byte count; 64 KiB onwards: stdin.
  (memory (export "memory") 130)
  (global $in i32 (i32.const 65536))
  (global $in_end i32 (i32.const 8454144))

  ;; Reads stdin to EOF (or a full buffer) and returns where it ends.
  (func $read_all (result i32)
    (local $end i32)
    (local.set $end (global.get $in))
    (block $eof
      (loop $more
        (i32.store (i32.const 0) (local.get $end))
        (i32.store (i32.const 4) (i32.sub (global.get $in_end) (local.get $end)))
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $eof (i32.eqz (i32.load (i32.const 8))))
        (local.set $end (i32.add (local.get $end) (i32.load (i32.const 8))))
        (br $more)))
    (local.get $end))

  (func (export "_start")
    (local $end i32)
    (local.set $end (call $read_all))
    (i32.store (i32.const 0) (global.get $in))
    (i32.store (i32.const 4) (i32.sub (local.get $end) (global.get $in)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
