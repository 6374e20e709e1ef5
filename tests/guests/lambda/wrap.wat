;; A Lambda handler that returns its event as the body of a 200 response:
;;   {"statusCode":200,"headers":{"content-type":"application/json"},"body":"<event>"}
;; with the event (stdin) escaped as a JSON string. Unlike a bare echo, this is
;; a valid `apigw-v1` proxy response, so a REST API test can read back the
;; event its handler received. Events up to 1 MiB fit.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  ;; 0..16: iovec and byte count for reads; 16..48: three iovecs and the count
  ;; for the write; 64: hex digits; 128: the response's start; 256: its end;
  ;; 64 KiB: stdin (1 MiB); after it the escaped body (at most 6 bytes a byte).
  (memory (export "memory") 128)
  (data (i32.const 64) "0123456789abcdef")
  (data (i32.const 128)
    "{\"statusCode\":200,\"headers\":{\"content-type\":\"application/json\"},\"body\":\"")
  (data (i32.const 256) "\"}")
  (global $prefix_len i32 (i32.const 72))
  (global $in i32 (i32.const 65536))
  (global $in_end i32 (i32.const 1114112))
  (global $out i32 (i32.const 1114112))

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

  ;; Writes `[from, to)` escaped as the inside of a JSON string at `$out`:
  ;; `"` and `\` get a backslash, control bytes become `\u00XX`, every other
  ;; byte (UTF-8 included) is copied. Returns where the escaped text ends.
  (func $escape (param $from i32) (param $to i32) (result i32)
    (local $o i32)
    (local $b i32)
    (local.set $o (global.get $out))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
        (local.set $b (i32.load8_u (local.get $from)))
        (if (i32.or (i32.eq (local.get $b) (i32.const 34)) (i32.eq (local.get $b) (i32.const 92)))
          (then
            (i32.store8 (local.get $o) (i32.const 92))
            (i32.store8 offset=1 (local.get $o) (local.get $b))
            (local.set $o (i32.add (local.get $o) (i32.const 2))))
          (else
            (if (i32.lt_u (local.get $b) (i32.const 32))
              (then
                (i32.store8 (local.get $o) (i32.const 92))
                (i32.store8 offset=1 (local.get $o) (i32.const 117))
                (i32.store8 offset=2 (local.get $o) (i32.const 48))
                (i32.store8 offset=3 (local.get $o) (i32.const 48))
                (i32.store8 offset=4 (local.get $o)
                  (i32.load8_u offset=64 (i32.shr_u (local.get $b) (i32.const 4))))
                (i32.store8 offset=5 (local.get $o)
                  (i32.load8_u offset=64 (i32.and (local.get $b) (i32.const 15))))
                (local.set $o (i32.add (local.get $o) (i32.const 6))))
              (else
                (i32.store8 (local.get $o) (local.get $b))
                (local.set $o (i32.add (local.get $o) (i32.const 1)))))))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (br $next)))
    (local.get $o))

  (func (export "_start")
    (local $end i32)
    (local.set $end (call $escape (global.get $in) (call $read_all)))
    ;; One write of three pieces: the start, the escaped event, the end.
    (i32.store (i32.const 16) (i32.const 128))
    (i32.store (i32.const 20) (global.get $prefix_len))
    (i32.store (i32.const 24) (global.get $out))
    (i32.store (i32.const 28) (i32.sub (local.get $end) (global.get $out)))
    (i32.store (i32.const 32) (i32.const 256))
    (i32.store (i32.const 36) (i32.const 2))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 3) (i32.const 40)))))
