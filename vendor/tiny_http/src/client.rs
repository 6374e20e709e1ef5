use ascii::AsciiString;

use std::io::Error as IoError;
use std::io::Result as IoResult;
use std::io::{BufReader, BufWriter, ErrorKind, Read};

use std::net::SocketAddr;
use std::str::FromStr;

use crate::common::{HTTPVersion, Method};
use crate::util::RefinedTcpStream;
use crate::util::{SequentialReader, SequentialReaderBuilder, SequentialWriterBuilder};
use crate::util::read_ahead::{spool, ReadClock, RefusedBody, SpoolError};
use crate::{Request, ServerOptions};
use std::sync::Arc;

/// Longest request or header line accepted (wasmfaas patch).
const MAX_LINE_BYTES: usize = 16 * 1024;
/// Most header lines accepted in one request (wasmfaas patch).
const MAX_HEADERS: usize = 256;

/// A ClientConnection is an object that will store a socket to a client
/// and return Request objects.
pub struct ClientConnection {
    // address of the client
    remote_addr: IoResult<Option<SocketAddr>>,
    /// wasmfaas patch: the server's side of the connection.
    local_addr: Option<SocketAddr>,

    // sequence of Readers to the stream, so that the data is not read in
    //  the wrong order
    source: SequentialReaderBuilder<BufReader<RefinedTcpStream>>,

    // sequence of Writers to the stream, to avoid writing response #2 before
    //  response #1
    sink: SequentialWriterBuilder<BufWriter<RefinedTcpStream>>,

    // Reader to read the next header from
    next_header_source: SequentialReader<BufReader<RefinedTcpStream>>,

    // set to true if we know that the previous request is the last one
    no_more_requests: bool,

    // true if the connection goes through SSL
    secure: bool,

    // wasmfaas patch: lets a request end the connection (see Request::set_closer)
    closer: Option<std::sync::Arc<crate::connection::Connection>>,

    // wasmfaas patch: timeouts, body limit and spooling (see ServerOptions)
    options: Arc<ServerOptions>,
    // wasmfaas patch: bounds each read from the socket
    clock: Arc<ReadClock>,
    // wasmfaas patch: bytes of the current head read so far (0: the
    // connection is idle, and closing it needs no 408)
    head_bytes: usize,
}

/// wasmfaas patch: what reading a request's body ahead came to.
enum ReadAhead {
    /// The request can be handed over: its body is complete, or refused.
    Ready,
    /// Answer with this status and end the connection.
    Answer(u16),
    /// The client went away mid-body.
    Gone,
}

/// Error that can happen when reading a request.
#[derive(Debug)]
enum ReadError {
    WrongRequestLine,
    WrongHeader(HTTPVersion),
    /// a header line is too long, or there are too many (wasmfaas patch)
    HeadersTooLarge(HTTPVersion),

    /// the client sent an unrecognized `Expect` header
    ExpectationFailed(HTTPVersion),
    ReadIoError(IoError),
}

impl ClientConnection {
    /// Creates a new `ClientConnection` that takes ownership of the `TcpStream`.
    /// wasmfaas patch: fails when out of file descriptors.
    pub fn new(
        write_socket: RefinedTcpStream,
        mut read_socket: RefinedTcpStream,
        options: Arc<ServerOptions>,
    ) -> IoResult<ClientConnection> {
        let remote_addr = read_socket.peer_addr();
        // wasmfaas patch: where the client connected, for CGI's SERVER_PORT.
        let local_addr = read_socket.local_addr().ok().flatten();
        let secure = read_socket.secure();
        let closer = write_socket.shutdown_handle()?.map(Arc::new);
        let clock = Arc::new(ReadClock::default());
        read_socket.set_clock(Arc::clone(&clock));

        let mut source = SequentialReaderBuilder::new(BufReader::with_capacity(1024, read_socket));
        let first_header = source.next().unwrap();

        Ok(ClientConnection {
            source,
            sink: SequentialWriterBuilder::new(BufWriter::with_capacity(1024, write_socket)),
            remote_addr,
            local_addr,
            next_header_source: first_header,
            no_more_requests: false,
            secure,
            closer,
            options,
            clock,
            head_bytes: 0,
        })
    }

    /// true if the connection is HTTPS
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Reads the next line from self.next_header_source.
    ///
    /// Reads until `CRLF` is reached. The next read will start
    ///  at the first byte of the new line.
    fn read_next_line(&mut self) -> IoResult<AsciiString> {
        let mut buf = Vec::new();
        let mut prev_byte_was_cr = false;

        loop {
            let byte = self.next_header_source.by_ref().bytes().next();

            let byte = match byte {
                Some(b) => b?,
                None => return Err(IoError::new(ErrorKind::ConnectionAborted, "Unexpected EOF")),
            };

            if byte == b'\n' && prev_byte_was_cr {
                buf.pop(); // removing the '\r'
                return AsciiString::from_ascii(buf)
                    .map_err(|_| IoError::new(ErrorKind::InvalidInput, "Header is not in ASCII"));
            }

            prev_byte_was_cr = byte == b'\r';
            self.head_bytes += 1;

            // wasmfaas patch: a line without end must not grow without bound.
            if buf.len() >= MAX_LINE_BYTES {
                return Err(IoError::new(ErrorKind::InvalidData, "line too long"));
            }
            buf.push(byte);
        }
    }

    /// Reads a request from the stream.
    /// Blocks until the header has been read.
    fn read(&mut self) -> Result<Request, ReadError> {
        // wasmfaas patch: the whole head must arrive in time.
        self.clock.await_head(self.options.head_timeout);
        self.head_bytes = 0;
        let (method, path, version, headers) = {
            // reading the request line
            let (method, path, version) = {
                let line = self.read_next_line().map_err(|err| {
                    if err.kind() == ErrorKind::InvalidData {
                        ReadError::WrongRequestLine
                    } else {
                        ReadError::ReadIoError(err)
                    }
                })?;

                parse_request_line(
                    line.as_str().trim(), // TODO: remove this conversion
                )?
            };

            // getting all headers
            let headers = {
                let mut headers = Vec::new();
                loop {
                    let line = self.read_next_line().map_err(|err| {
                        if err.kind() == ErrorKind::InvalidData {
                            ReadError::HeadersTooLarge(version.clone())
                        } else {
                            ReadError::ReadIoError(err)
                        }
                    })?;

                    if line.is_empty() {
                        break;
                    };
                    if headers.len() >= MAX_HEADERS {
                        return Err(ReadError::HeadersTooLarge(version));
                    }
                    headers.push(match FromStr::from_str(line.as_str().trim()) {
                        // TODO: remove this conversion
                        Ok(h) => h,
                        _ => return Err(ReadError::WrongHeader(version)),
                    });
                }

                headers
            };

            (method, path, version, headers)
        };

        // building the writer for the request
        let writer = self.sink.next().unwrap();

        // follow-up for next potential request
        let mut data_source = self.source.next().unwrap();
        std::mem::swap(&mut self.next_header_source, &mut data_source);

        // building the next reader
        let request = crate::request::new_request(
            self.secure,
            method,
            path,
            version.clone(),
            headers,
            *self.remote_addr.as_ref().unwrap(),
            data_source,
            writer,
        )
        .map_err(|e| {
            use crate::request;
            match e {
                request::RequestCreationError::CreationIoError(e) => ReadError::ReadIoError(e),
                request::RequestCreationError::ExpectationFailed => {
                    ReadError::ExpectationFailed(version)
                }
                request::RequestCreationError::BadContentLength => ReadError::WrongHeader(version),
            }
        })?;
        let mut request = request;
        request.set_closer(self.closer.clone());
        request.set_local_addr(self.local_addr);

        // return the request
        Ok(request)
    }
}

impl Iterator for ClientConnection {
    type Item = Request;

    /// Blocks until the next Request is available.
    /// Returns None when no new Requests will come from the client.
    fn next(&mut self) -> Option<Request> {
        use crate::{Response, StatusCode};

        // the client sent a "connection: close" header in this previous request
        //  or is using HTTP 1.0, meaning that no new request will come
        if self.no_more_requests {
            return None;
        }

        loop {
            let rq = match self.read() {
                Err(ReadError::WrongRequestLine) => {
                    let writer = self.sink.next().unwrap();
                    let response = Response::new_empty(StatusCode(400));
                    response
                        .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                        .ok();
                    return None; // we don't know where the next request would start,
                                 // se we have to close
                }

                Err(ReadError::WrongHeader(ver)) => {
                    let writer = self.sink.next().unwrap();
                    let response = Response::new_empty(StatusCode(400));
                    response.raw_print(writer, ver, &[], false, None).ok();
                    return None; // we don't know where the next request would start,
                                 // se we have to close
                }

                // wasmfaas patch: an idle connection timing out is closed
                // without a word; a client may be about to reuse it.
                Err(ReadError::ReadIoError(ref err))
                    if err.kind() == ErrorKind::TimedOut && self.head_bytes == 0 =>
                {
                    return None
                }

                Err(ReadError::ReadIoError(ref err)) if err.kind() == ErrorKind::TimedOut => {
                    // request timeout
                    let writer = self.sink.next().unwrap();
                    let response = Response::new_empty(StatusCode(408));
                    response
                        .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                        .ok();
                    return None; // closing the connection
                }

                Err(ReadError::HeadersTooLarge(ver)) => {
                    let writer = self.sink.next().unwrap();
                    let response = Response::new_empty(StatusCode(431));
                    response.raw_print(writer, ver, &[], false, None).ok();
                    return None; // the rest of the head is unread: close
                }

                Err(ReadError::ExpectationFailed(ver)) => {
                    let writer = self.sink.next().unwrap();
                    let response = Response::new_empty(StatusCode(417));
                    response.raw_print(writer, ver, &[], true, None).ok();
                    return None; // TODO: should be recoverable, but needs handling in case of body
                }

                Err(ReadError::ReadIoError(_)) => return None,

                Ok(rq) => rq,
            };

            // checking HTTP version
            if *rq.http_version() > (1, 1) {
                let writer = self.sink.next().unwrap();
                let response = Response::from_string(
                    "This server only supports HTTP versions 1.0 and 1.1".to_owned(),
                )
                .with_status_code(StatusCode(505));
                response
                    .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                    .ok();
                continue;
            }

            // updating the status of the connection
            let connection_header = rq
                .headers()
                .iter()
                .find(|h| h.field.equiv("Connection"))
                .map(|h| h.value.as_str());

            let lowercase = connection_header.map(|h| h.to_ascii_lowercase());

            match lowercase {
                Some(ref val) if val.contains("close") => self.no_more_requests = true,
                Some(ref val) if val.contains("upgrade") => self.no_more_requests = true,
                Some(ref val)
                    if !val.contains("keep-alive") && *rq.http_version() == HTTPVersion(1, 0) =>
                {
                    self.no_more_requests = true
                }
                None if *rq.http_version() == HTTPVersion(1, 0) => self.no_more_requests = true,
                _ => (),
            };

            // wasmfaas patch: the body is read here, on the connection's
            // thread, before the request is handed to the application.
            let mut rq = rq;
            return match self.read_ahead(&mut rq) {
                ReadAhead::Ready => Some(rq),
                ReadAhead::Answer(status) => {
                    self.no_more_requests = true;
                    rq.close_after_response();
                    rq.continue_sent();
                    rq.respond(Response::empty(status)).ok();
                    None
                }
                ReadAhead::Gone => {
                    self.no_more_requests = true;
                    None
                }
            };
        }
    }
}

impl ClientConnection {
    /// wasmfaas patch: reads `rq`'s body completely, up to the limit the
    /// options give for it, into memory or an unlinked temporary file, and
    /// puts it in place of the body on the socket. A body over the limit is
    /// not read (see [`ClientConnection::refuse_body`]).
    fn read_ahead(&mut self, rq: &mut Request) -> ReadAhead {
        let declared = rq.body_length();
        let chunked = rq
            .headers()
            .iter()
            .any(|h| h.field.equiv("Transfer-Encoding"));
        let upgrade = rq.headers().iter().any(|h| {
            h.field.equiv("Connection") && h.value.as_str().to_ascii_lowercase().contains("upgrade")
        });
        if upgrade {
            // Upgrades are not supported: the request has no body, and the
            // rest of the socket is not the next request either.
            rq.close_after_response();
            self.no_more_requests = true;
            self.stop_reading();
            drop(rq.replace_body(Box::new(std::io::empty())));
            return ReadAhead::Ready;
        }
        if !chunked && declared.unwrap_or(0) == 0 {
            return ReadAhead::Ready;
        }
        let limit = (self.options.body_limit)(rq);
        if declared.is_some_and(|size| size as u64 > limit) {
            self.refuse_body(rq, limit);
            return ReadAhead::Ready;
        }
        // Sends `100 Continue` if the client waits for it.
        let _ = rq.as_reader();
        self.clock.await_body(self.options.io_timeout);
        let mut source = match rq.replace_body(Box::new(std::io::empty())) {
            Some(source) => source,
            None => return ReadAhead::Ready,
        };
        let options = Arc::clone(&self.options);
        let spooled = spool(
            &mut source,
            limit,
            options.body_in_memory,
            &options.spill_dir,
            declared,
        );
        if !matches!(spooled, Ok(_) | Err(SpoolError::TooLarge)) {
            // The rest of the body is not wanted: dropping its reader must not
            // wait to drain it from a client that stalled.
            self.stop_reading();
        }
        match spooled {
            Ok((_, size)) if declared.is_some_and(|declared| size < declared as u64) => {
                ReadAhead::Gone
            }
            Ok((body, _)) => {
                // Dropping the socket's reader hands the socket to the next head.
                drop(source);
                rq.replace_body(Box::new(body));
                ReadAhead::Ready
            }
            Err(SpoolError::TooLarge) => {
                rq.replace_body(source);
                self.refuse_body(rq, limit);
                ReadAhead::Ready
            }
            Err(SpoolError::Source(e)) if e.kind() == ErrorKind::TimedOut => ReadAhead::Answer(408),
            Err(SpoolError::Source(e))
                if matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::InvalidData) =>
            {
                // A malformed chunked body.
                ReadAhead::Answer(400)
            }
            Err(SpoolError::Source(_)) => ReadAhead::Gone,
            Err(SpoolError::Spill(e)) => {
                log::error!("cannot spool a request body: {}", e);
                ReadAhead::Answer(503)
            }
        }
    }

    /// wasmfaas patch: hands `rq` over without reading its body (over
    /// `limit`): reads of it fail with [`crate::BodyTooLarge`], and since the
    /// rest of the connection is that body, the connection ends after the
    /// response. Reading is shut down first, so that dropping the body's
    /// reader does not drain what the client sends.
    fn refuse_body(&mut self, rq: &mut Request, limit: u64) {
        rq.continue_sent();
        rq.close_after_response();
        self.no_more_requests = true;
        self.stop_reading();
        drop(rq.replace_body(Box::new(RefusedBody { limit })));
    }

    /// wasmfaas patch: reads from the client end at once (they return
    /// end-of-file), so nothing waits on what the client still sends.
    fn stop_reading(&mut self) {
        if let Some(closer) = &self.closer {
            closer.shutdown(std::net::Shutdown::Read).ok();
        }
    }
}

/// Parses a "HTTP/1.1" string.
fn parse_http_version(version: &str) -> Result<HTTPVersion, ReadError> {
    let (major, minor) = match version {
        "HTTP/0.9" => (0, 9),
        "HTTP/1.0" => (1, 0),
        "HTTP/1.1" => (1, 1),
        "HTTP/2.0" => (2, 0),
        "HTTP/3.0" => (3, 0),
        _ => return Err(ReadError::WrongRequestLine),
    };

    Ok(HTTPVersion(major, minor))
}

/// Parses the request line of the request.
/// eg. GET / HTTP/1.1
fn parse_request_line(line: &str) -> Result<(Method, String, HTTPVersion), ReadError> {
    let mut parts = line.split(' ');

    let method = parts.next().and_then(|w| w.parse().ok());
    let path = parts.next().map(ToOwned::to_owned);
    let version = parts.next().and_then(|w| parse_http_version(w).ok());
    // wasmfaas patch: exactly three parts (RFC 9112 3); upstream ignored
    // whatever followed the version.
    if parts.next().is_some() {
        return Err(ReadError::WrongRequestLine);
    }

    method
        .and_then(|method| Some((method, path?, version?)))
        .ok_or(ReadError::WrongRequestLine)
}

#[cfg(test)]
mod test {
    #[test]
    fn test_parse_request_line() {
        let (method, path, ver) = super::parse_request_line("GET /hello HTTP/1.1").unwrap();

        assert!(method == crate::Method::Get);
        assert!(path == "/hello");
        assert!(ver == crate::common::HTTPVersion(1, 1));

        assert!(super::parse_request_line("GET /hello").is_err());
        assert!(super::parse_request_line("qsd qsd qsd").is_err());
        assert!(super::parse_request_line("GET /hello HTTP/1.1 extra").is_err());
    }
}
