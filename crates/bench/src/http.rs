//! The HTTP load generator: blocking HTTP/1.1 clients on keep-alive connections, one thread per
//! connection, against a server on the loopback interface only. A response is a success when its
//! status is 200 and its body was read whole; anything else (another status, a broken or closed
//! connection) is an error, and the client reconnects.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::stats::Latency;

/// A keep-alive HTTP/1.1 client for one connection.
pub struct Client {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
    request: Vec<u8>,
    /// The last response's body.
    pub body: Vec<u8>,
}

impl Client {
    /// A client of `addr`, which must be a loopback address.
    pub fn new(addr: SocketAddr) -> io::Result<Client> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the load generator only targets the loopback interface, not {addr}"),
            ));
        }
        Ok(Client {
            addr,
            stream: None,
            request: Vec::with_capacity(512),
            body: Vec::with_capacity(64 * 1024),
        })
    }

    fn stream(&mut self) -> io::Result<&mut BufReader<TcpStream>> {
        if self.stream.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(BufReader::with_capacity(64 * 1024, s));
        }
        Ok(self.stream.as_mut().expect("connected"))
    }

    /// `GET path`; returns the status, with the body in `self.body`.
    pub fn get(&mut self, path: &str) -> io::Result<u16> {
        let r = self.exchange(path);
        if r.is_err() {
            self.stream = None;
        }
        r
    }

    fn exchange(&mut self, path: &str) -> io::Result<u16> {
        self.request.clear();
        write!(
            self.request,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: folio-bench\r\n\r\n",
            self.addr
        )?;
        let request = std::mem::take(&mut self.request);
        let written = self.stream().and_then(|s| s.get_mut().write_all(&request));
        self.request = request;
        written?;
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        let result = read_response(self.stream()?, &mut body);
        self.body = body;
        let (status, close) = result?;
        if close {
            self.stream = None;
        }
        Ok(status)
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads one response; returns the status and whether the server closes the connection.
fn read_response(r: &mut BufReader<TcpStream>, body: &mut Vec<u8>) -> io::Result<(u16, bool)> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = false;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("connection closed in the headers"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim();
            if k.eq_ignore_ascii_case("content-length") {
                length = Some(v.parse().map_err(|_| bad("bad content-length"))?);
            } else if k.eq_ignore_ascii_case("transfer-encoding") {
                chunked = v.eq_ignore_ascii_case("chunked");
            } else if k.eq_ignore_ascii_case("connection") {
                close = v.eq_ignore_ascii_case("close");
            }
        }
    }
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                loop {
                    line.clear();
                    if r.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            let mut crlf = [0u8; 2];
            r.read_exact(&mut crlf)?;
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(body)?;
    } else {
        r.read_to_end(body)?;
        close = true;
    }
    Ok((status, close))
}

/// Polls `GET /ready` until it answers 200; returns when, or None at the deadline.
pub fn wait_ready(addr: SocketAddr, deadline: Instant) -> Option<Instant> {
    while Instant::now() < deadline {
        if let Ok(mut c) = Client::new(addr)
            && c.get("/ready").ok() == Some(200)
        {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

/// One pass (or several) over the paths, one request at a time on one connection.
#[derive(Debug, Default)]
pub struct Sequential {
    /// (path index, microseconds) of the successful requests.
    pub samples: Vec<(usize, u64)>,
    /// The `total` of each path's response (last pass).
    pub totals: Vec<Option<u64>>,
    pub errors: Vec<String>,
}

pub fn sequential(addr: SocketAddr, paths: &[String], passes: usize) -> io::Result<Sequential> {
    let mut client = Client::new(addr)?;
    let mut out = Sequential {
        totals: vec![None; paths.len()],
        ..Sequential::default()
    };
    for _ in 0..passes {
        for (i, p) in paths.iter().enumerate() {
            let t = Instant::now();
            let r = client.get(p);
            let us = t.elapsed().as_micros() as u64;
            match r {
                Ok(200) => {
                    out.samples.push((i, us));
                    out.totals[i] = serde_json::from_slice::<serde_json::Value>(&client.body)
                        .ok()
                        .and_then(|v| v.get("total").and_then(|t| t.as_u64()));
                }
                Ok(status) => out.errors.push(format!(
                    "{p}: status {status}: {}",
                    String::from_utf8_lossy(&client.body[..client.body.len().min(300)])
                )),
                Err(e) => out.errors.push(format!("{p}: {e}")),
            }
        }
    }
    Ok(out)
}

/// Throughput at a concurrency.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Load {
    pub concurrency: usize,
    pub secs: f64,
    pub requests: u64,
    pub errors: u64,
    pub per_sec: f64,
    pub latency: Latency,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_samples: Vec<String>,
}

/// `concurrency` connections, each sending requests back to back for `duration`, cycling through
/// the paths from its own starting point.
pub fn load(addr: SocketAddr, paths: &[String], concurrency: usize, duration: Duration) -> Load {
    let started = Instant::now();
    let deadline = started + duration;
    let results: Vec<(Vec<u64>, u64, Vec<String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..concurrency)
            .map(|w| {
                scope.spawn(move || {
                    let mut lat = Vec::new();
                    let mut errors = 0u64;
                    let mut samples = Vec::new();
                    let mut client = match Client::new(addr) {
                        Ok(c) => c,
                        Err(e) => return (lat, 1, vec![e.to_string()]),
                    };
                    let mut i = w * paths.len() / concurrency.max(1);
                    while Instant::now() < deadline {
                        let p = &paths[i % paths.len()];
                        let t = Instant::now();
                        let r = client.get(p);
                        let us = t.elapsed().as_micros() as u64;
                        match r {
                            Ok(200) => lat.push(us),
                            other => {
                                errors += 1;
                                if samples.len() < 3 {
                                    samples.push(match other {
                                        Ok(s) => format!("{p}: status {s}"),
                                        Err(e) => format!("{p}: {e}"),
                                    });
                                }
                            }
                        }
                        i += 1;
                    }
                    (lat, errors, samples)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let secs = started.elapsed().as_secs_f64();
    let mut all = Vec::new();
    let mut errors = 0;
    let mut error_samples = Vec::new();
    for (lat, e, s) in results {
        all.extend(lat);
        errors += e;
        if error_samples.len() < 5 {
            error_samples.extend(s);
        }
    }
    Load {
        concurrency,
        secs,
        requests: all.len() as u64 + errors,
        errors,
        per_sec: all.len() as f64 / secs,
        latency: Latency::of_micros(all),
        error_samples,
    }
}
