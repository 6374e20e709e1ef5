;; {{name}}: a wasmfaas function written by hand in WebAssembly text.
;;
;; It speaks the `http` ABI (docs/abi.md in the wasmfaas repository) with
;; nothing but two WASI calls:
;;   - the host writes the request envelope to stdin: one line of JSON (the
;;     method, path, headers, ...), a newline, then the raw body;
;;   - the function writes the response envelope to stdout: one line of JSON
;;     (`{"status":200,"headers":[...]}`), a newline, then the raw body.
;; This one answers "Hello from WebAssembly text!" when the request has no
;; body, and echoes the body back when it has one. Try it:
;;   wasmfaas invoke {{name}} --path {{path}}
;;   wasmfaas invoke {{name}} --path {{path}} --body 'echo me'
;; Every instance is fresh: memory starts as this file describes it, on every
;; request.
(module
  ;; WASI preview 1 calls. Both take an fd and a list of "iovecs" (pairs of
  ;; i32: buffer address, buffer length) in memory, store the number of bytes
  ;; moved at the last address, and return an errno (0 = success).
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param $fd i32) (param $iovs i32) (param $iovs_len i32) (param $nread i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param $fd i32) (param $iovs i32) (param $iovs_len i32) (param $nwritten i32) (result i32)))
  ;; Ends the invocation; any code but 0 is a function error.
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param $code i32)))

  ;; Two 64 KiB pages, exported: the host reads and writes the buffers in it.
  ;;   0 .. 16      two iovecs, built before each call
  ;;   16           where fd_read / fd_write store their byte count
  ;;   256 ..       the constant texts below
  ;;   4096 ..      the request envelope, as read from stdin (under 124 KiB)
  (memory (export "memory") 2)

  (global $input i32 (i32.const 4096))
  (global $capacity i32 (i32.const 126976))

  ;; Response heads: JSON on one line, then the newline that ends the head.
  (data (i32.const 256) "{\"status\":200,\"headers\":[[\"content-type\",\"text/plain; charset=utf-8\"]]}\n") ;; 72 bytes
  (data (i32.const 384) "{\"status\":413,\"headers\":[[\"content-type\",\"text/plain; charset=utf-8\"]]}\n") ;; 72 bytes
  (data (i32.const 512) "Hello from WebAssembly text!\n") ;; 29 bytes
  (data (i32.const 576) "The body is larger than this function reads (124 KiB).\n") ;; 55 bytes

  ;; Reads stdin until its end (a read of 0 bytes) or until the buffer is full,
  ;; and returns how many bytes it read.
  (func $read_all (result i32)
    (local $len i32)
    (local $n i32)
    (block $done
      (loop $more
        ;; One iovec at address 0: the free rest of the buffer.
        (i32.store (i32.const 0) (i32.add (global.get $input) (local.get $len)))
        (i32.store (i32.const 4) (i32.sub (global.get $capacity) (local.get $len)))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))
          (then (call $proc_exit (i32.const 74)))) ;; EX_IOERR: stdin failed
        (local.set $n (i32.load (i32.const 16)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $len (i32.add (local.get $len) (local.get $n)))
        (br_if $more (i32.lt_u (local.get $len) (global.get $capacity)))))
    (local.get $len))

  ;; The offset of the first newline in the first $len bytes of the input, or
  ;; -1. The head is JSON, which escapes newlines inside strings, so the first
  ;; newline always ends it: no JSON parsing is needed to find the body.
  (func $find_newline (param $len i32) (result i32)
    (local $i i32)
    (block $not_found
      (loop $next
        (br_if $not_found (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.eq (i32.load8_u (i32.add (global.get $input) (local.get $i))) (i32.const 10))
          (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  ;; Writes a head and a body to stdout in one call, with two iovecs: every
  ;; host call costs, so the response goes out at once.
  (func $respond (param $head i32) (param $head_len i32) (param $body i32) (param $body_len i32)
    (i32.store (i32.const 0) (local.get $head))
    (i32.store (i32.const 4) (local.get $head_len))
    (i32.store (i32.const 8) (local.get $body))
    (i32.store (i32.const 12) (local.get $body_len))
    ;; wasmfaas takes the whole write; a program for other hosts should loop
    ;; while fewer bytes than asked were written.
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16))
      (then (call $proc_exit (i32.const 74)))))

  ;; The entry point of a WASI command: wasmfaas calls it once per request.
  (func (export "_start")
    (local $len i32)
    (local $newline i32)
    (local $body i32)
    (local $body_len i32)
    (local.set $len (call $read_all))
    (if (i32.ge_u (local.get $len) (global.get $capacity))
      (then
        (call $respond (i32.const 384) (i32.const 72) (i32.const 576) (i32.const 55))
        (return)))
    (local.set $newline (call $find_newline (local.get $len)))
    (if (i32.lt_s (local.get $newline) (i32.const 0))
      (then (call $proc_exit (i32.const 70)))) ;; EX_SOFTWARE: no request head
    ;; The body is everything after the newline.
    (local.set $body (i32.add (global.get $input) (i32.add (local.get $newline) (i32.const 1))))
    (local.set $body_len (i32.sub (local.get $len) (i32.add (local.get $newline) (i32.const 1))))
    (if (i32.eqz (local.get $body_len))
      (then (call $respond (i32.const 256) (i32.const 72) (i32.const 512) (i32.const 29)))
      (else (call $respond (i32.const 256) (i32.const 72) (local.get $body) (local.get $body_len))))))
