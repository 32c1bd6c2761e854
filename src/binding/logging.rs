//! Routes the core's `tracing` events to the JS logger (`lib/logger.js`), so Rust log lines
//! follow the one JS level and end up in the same sink as the JS ones (docs/COMPATIBILITY.md#logging).
//!
//! A `Registry` with one [`JsLayer`] is installed as the global default the first time JS sets the
//! level or the sink. Whether an event is enabled is one atomic load ([`MAX_LEVEL`]); callsites get
//! `Interest::sometimes()`, and a level change rebuilds tracing's interest cache so its global
//! `LevelFilter` (checked inline by every macro, before any dispatch) follows at once. Enabled events
//! are formatted into a `String` on the emitting thread and handed to JS through a weak threadsafe
//! function (a logger must never keep the process alive), without blocking.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use napi::bindgen_prelude::{FnArgs, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use napi_derive::napi;

use super::errors::{core_error, test_hook, unconvertible, Result};
use crate::codes::CoreCode;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{span, Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, Registry};

/// JS levels (npm's): 0 error, 1 warn, 2 info, 3 verbose, 4 debug, 5 silly.
const SILLY: u32 = 5;

/// The most verbose JS level enabled, plus one; 0 while JS has not set a level (nothing enabled).
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);

/// Arguments of the JS sink: `(level, target, message)`, the level as a JS level number.
type SinkArgs = FnArgs<(u32, String, String)>;
/// Weak: pending log lines must not keep the event loop alive.
type SinkTsfn = ThreadsafeFunction<LogLine, (), SinkArgs, Status, false, true, 0>;

/// The JS sink; replaced by every `setLogSink` (the last module instance that loaded wins).
static SINK: Mutex<Option<Arc<SinkTsfn>>> = Mutex::new(None);

/// One formatted event on its way to JS.
#[derive(Debug, PartialEq)]
struct LogLine {
    level: u32,
    target: String,
    message: String,
}

/// The JS level of a tracing level. tracing has no `verbose`: INFO is `info`, DEBUG is `debug`.
fn js_level(level: &Level) -> u32 {
    match *level {
        Level::ERROR => 0,
        Level::WARN => 1,
        Level::INFO => 2,
        Level::DEBUG => 4,
        Level::TRACE => SILLY,
    }
}

fn enabled(level: &Level) -> bool {
    js_level(level) < u32::from(MAX_LEVEL.load(Ordering::Relaxed))
}

/// The layer that formats enabled events and hands them to `deliver` (the JS sink, see [`to_js`]).
struct RouteLayer<D> {
    deliver: D,
}

/// The formatted fields of a span, kept in its extensions and shown before the event's message.
struct SpanFields(String);

impl<S, D> Layer<S> for RouteLayer<D>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    D: Fn(LogLine) + Send + Sync + 'static,
{
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // `sometimes`, not a cached always/never: the JS level can change at any time.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        enabled(metadata.level())
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match MAX_LEVEL.load(Ordering::Relaxed) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 | 4 => LevelFilter::INFO, // `verbose` enables INFO, not DEBUG
            5 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let mut fields = FieldWriter::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.finish()));
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(text)) = extensions.get_mut::<SpanFields>() {
            let mut fields = FieldWriter {
                text: std::mem::take(text),
                ..FieldWriter::default()
            };
            values.record(&mut fields);
            *text = fields.finish();
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut message = String::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                message.push_str(span.name());
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    if !fields.is_empty() {
                        let _ = write!(message, "{{{fields}}}");
                    }
                }
                message.push_str(": ");
            }
        }
        let mut fields = FieldWriter::default();
        event.record(&mut fields);
        message.push_str(&fields.finish());
        let metadata = event.metadata();
        (self.deliver)(LogLine {
            level: js_level(metadata.level()),
            target: metadata.target().to_owned(),
            message,
        });
    }
}

/// Sends a line to the JS sink, if there is one.
fn to_js(line: LogLine) {
    let sink = SINK.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if let Some(sink) = sink {
        // NonBlocking on an unbounded queue: a tokio worker must never wait for the JS thread. A
        // closed sink (its environment is gone) just drops the line.
        let _ = sink.call(line, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Formats `message` first, then ` key=value` for the other fields.
#[derive(Default)]
struct FieldWriter {
    message: String,
    text: String,
}

impl FieldWriter {
    fn finish(self) -> String {
        match (self.message.is_empty(), self.text.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.text,
            (false, false) => format!("{} {}", self.message, self.text),
        }
    }

    fn field(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if field.name() == "message" {
            let _ = self.message.write_fmt(value);
        } else {
            if !self.text.is_empty() {
                self.text.push(' ');
            }
            let _ = write!(self.text, "{}={}", field.name(), value);
        }
    }
}

impl Visit for FieldWriter {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, format_args!("{value}"));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.field(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, format_args!("{value:?}"));
    }
}

/// Installs the routing subscriber once per process. Fails if something else already installed a
/// global tracing subscriber.
fn install() -> Result<()> {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let ok = *INSTALLED.get_or_init(|| {
        let layer = RouteLayer { deliver: to_js };
        tracing::subscriber::set_global_default(Registry::default().with(layer)).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(core_error(
            CoreCode::LogsNotRouted,
            "another global tracing subscriber is installed: the core's logs cannot be routed",
        ))
    }
}

/// Sets the most verbose JS level the core logs at (0 error … 5 silly; larger means silly).
#[napi(catch_unwind)]
pub fn set_log_level(level: u32) -> Result<()> {
    install()?;
    // Stored as level + 1 so that 0 can mean "not set yet": nothing enabled.
    let stored = u8::try_from(level.min(SILLY) + 1).unwrap_or(u8::MAX);
    MAX_LEVEL.store(stored, Ordering::Relaxed);
    // Recomputes tracing's global max level from `max_level_hint`.
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// Sets the JS function that receives the core's log lines as `(level, target, message)`, called on
/// the JS thread. It is held weakly: it never keeps the process alive.
#[napi(
    catch_unwind,
    ts_args_type = "sink: (level: number, target: string, message: string) => void"
)]
pub fn set_log_sink(sink: Function<'_, SinkArgs, ()>) -> Result<()> {
    install()?;
    let tsfn: SinkTsfn = sink
        .build_threadsafe_function::<LogLine>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx| {
            Ok(FnArgs::from((
                ctx.value.level,
                ctx.value.target,
                ctx.value.message,
            )))
        })
        .map_err(unconvertible)?;
    *SINK.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(tsfn));
    Ok(())
}

/// Test hook: emits one tracing event with target `gearmanode::test` from a new OS thread (not the
/// JS thread) and waits for that thread, so tests can prove the routing. Levels: 0 ERROR, 1 WARN,
/// 2 INFO, 3 and 4 DEBUG (tracing has no `verbose`), 5 or more TRACE. Throws
/// `GEARMAN_TEST_HOOKS_OFF` unless `GEARMANODE_TEST_HOOKS=1` was set when the addon loaded.
#[napi(catch_unwind)]
pub fn emit_test_log(level: u32, message: String) -> Result<()> {
    test_hook("emitTestLog")?;
    let thread = std::thread::spawn(move || match level {
        0 => tracing::error!(target: "gearmanode::test", "{message}"),
        1 => tracing::warn!(target: "gearmanode::test", "{message}"),
        2 => tracing::info!(target: "gearmanode::test", "{message}"),
        3 | 4 => tracing::debug!(target: "gearmanode::test", "{message}"),
        _ => tracing::trace!(target: "gearmanode::test", "{message}"),
    });
    thread
        .join()
        .map_err(|_| core_error(CoreCode::Internal, "the test log thread panicked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test: [`MAX_LEVEL`] is process-wide, parallel tests would race on it.
    #[test]
    fn formats_enabled_events_with_fields_and_spans_and_follows_the_level() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        MAX_LEVEL.store(5, Ordering::Relaxed); // debug
        let layer = RouteLayer {
            deliver: move |line| sink.lock().unwrap().push(line),
        };
        let line = |level, target: &str, message: &str| LogLine {
            level,
            target: target.to_owned(),
            message: message.to_owned(),
        };
        tracing::subscriber::with_default(Registry::default().with(layer), || {
            let conn = tracing::info_span!("conn", uid = "localhost:4730");
            let _entered = conn.enter();
            tracing::debug!(target: "gearmanode::transport", bytes = 28, ok = true, "sent {}", "SUBMIT_JOB");
            tracing::trace!(target: "gearmanode::transport", "off at debug");
            let read = tracing::debug_span!("read", n = tracing::field::Empty);
            read.record("n", 3);
            read.in_scope(|| tracing::error!(target: "gearmanode::protocol", err = %"bad magic"));
            MAX_LEVEL.store(2, Ordering::Relaxed); // warn
            tracing::callsite::rebuild_interest_cache();
            tracing::info!(target: "gearmanode::transport", "off at warn");
            tracing::warn!(target: "gearmanode::transport", "on at warn");
        });
        let want = [
            line(
                4,
                "gearmanode::transport",
                "conn{uid=localhost:4730}: sent SUBMIT_JOB bytes=28 ok=true",
            ),
            line(
                0,
                "gearmanode::protocol",
                "conn{uid=localhost:4730}: read{n=3}: err=bad magic",
            ),
            line(
                1,
                "gearmanode::transport",
                "conn{uid=localhost:4730}: on at warn",
            ),
        ];
        assert_eq!(*lines.lock().unwrap(), want);
    }

    #[test]
    fn maps_tracing_levels_to_js_levels() {
        let levels = [
            Level::ERROR,
            Level::WARN,
            Level::INFO,
            Level::DEBUG,
            Level::TRACE,
        ];
        assert_eq!(levels.map(|l| js_level(&l)), [0, 1, 2, 4, 5]);
    }
}
