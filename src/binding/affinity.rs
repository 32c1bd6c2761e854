//! Where the core's I/O thread runs: on the CPU of the JS thread it hands its events to
//! (docs/ARCHITECTURE.md#placement).
//!
//! Every incoming batch wakes two threads: the I/O thread (the socket is readable), then the JS
//! thread (the threadsafe function's wakeup). Left to the scheduler, the two mostly sit on
//! different CPUs, and the second wakeup is an inter-processor interrupt to a CPU that may be
//! halted; on virtual machines that costs more than the rest of the job (bench/PROFILE.md, "Third
//! round"). So the I/O thread follows the JS thread: the JS thread notes its CPU as it takes a
//! delivery (every `NOTE_EVERY`th, `sched_getcpu` is a vDSO call on x86-64), and the I/O thread,
//! before it hands over the next batch, moves onto that CPU when it runs elsewhere (a
//! `sched_setaffinity` of itself: rare, the JS thread seldom migrates). The JS thread is never
//! pinned; the I/O thread is pinned only inside the CPU set it started with. When the JS thread
//! keeps being moved (`Pace`), following pauses for a while.
//!
//! Following stops, and the I/O thread gets its CPU set back, when events go to a second JS thread
//! (`worker_threads`: one I/O thread cannot sit beside two of them); it never starts with more than
//! one I/O thread (`GEARMANODE_IO_THREADS`), with `GEARMANODE_IO_AFFINITY=off`, or off Linux.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use napi_derive::napi;

/// The JS thread notes its CPU at every this many deliveries (the first one included).
const NOTE_EVERY: u32 = 8;
/// `TARGET` before the JS thread has noted a CPU.
const UNSET: i32 = -1;
/// `TARGET` once following has stopped for good.
const STOPPED: i32 = -2;

/// Following is on (set once, at module load).
static ENABLED: AtomicBool = AtomicBool::new(false);
/// The CPU the JS thread last ran on, `UNSET` or `STOPPED`.
static TARGET: AtomicI32 = AtomicI32::new(UNSET);
/// Identifies the JS thread that takes the events (the address of a thread-local), 0 = none yet.
static JS_THREAD: AtomicUsize = AtomicUsize::new(0);
/// The CPU the I/O thread is pinned to, or -1.
static PINNED: AtomicI32 = AtomicI32::new(-1);
/// How many times the I/O thread moved.
static MOVES: AtomicU32 = AtomicU32::new(0);
/// The I/O thread's Linux thread id, once it has handed over an event while following is on.
static IO_TID: AtomicI32 = AtomicI32::new(-1);
/// How many times following paused (see `Pace`).
static PAUSES: AtomicU32 = AtomicU32::new(0);

/// Whether the I/O thread may follow the JS thread, from the number of I/O threads and the
/// environment. Called once, when the module loads.
pub(crate) fn init(io_threads: usize) {
    let off = matches!(
        std::env::var("GEARMANODE_IO_AFFINITY")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref(),
        Ok("off" | "0" | "false" | "no")
    );
    ENABLED.store(
        cfg!(target_os = "linux") && io_threads == 1 && !off,
        Ordering::Relaxed,
    );
}

fn stop() {
    TARGET.store(STOPPED, Ordering::Relaxed);
}

/// On the JS thread, as it takes a delivery: notes the CPU it runs on.
pub(crate) fn on_js_thread() {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    taken();
    thread_local! {
        static SEEN: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    let (n, me) = SEEN.with(|s| {
        let n = s.get();
        s.set(n.wrapping_add(1));
        (n, s as *const _ as usize)
    });
    if !n.is_multiple_of(NOTE_EVERY) {
        return;
    }
    match JS_THREAD.compare_exchange(0, me, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => {}
        Err(first) if first == me => {}
        Err(_) => {
            tracing::debug!(target: "gearmanode::binding", "events reach a second JS thread: the I/O thread stops following");
            return stop();
        }
    }
    match sys::current_cpu() {
        Some(cpu) => {
            let _ = TARGET.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                (t != STOPPED).then_some(cpu)
            });
        }
        None => stop(),
    }
}

/// Events handed to the threadsafe function that the JS thread has not taken yet.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

fn taken() {
    let _ = IN_FLIGHT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
}

/// On the I/O thread, when the threadsafe function refused an event (it never reaches JS).
pub(crate) fn not_delivered() {
    if ENABLED.load(Ordering::Relaxed) {
        taken();
    }
}

/// On the I/O thread, before it hands over an event of `bytes` bytes: moves onto the JS thread's
/// CPU when it runs elsewhere (as `Pace` decides), or back to its own CPU set once following has
/// stopped.
pub(crate) fn on_io_thread(bytes: usize) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let js_behind = IN_FLIGHT.fetch_add(1, Ordering::Relaxed) > 0;
    let target = TARGET.load(Ordering::Relaxed);
    if target == UNSET {
        return;
    }
    IO_THREAD.with(|cell| {
        let mut io = cell.borrow_mut();
        let Some(IoThread { place, pace }) = io.as_mut() else { return };
        let action = if target == STOPPED {
            Action::Unpin
        } else {
            pace.decide(target, place.cpu, js_behind, bytes, Instant::now)
        };
        match action {
            Action::Stay => return,
            Action::Unpin => place.restore(),
            Action::Pause => {
                tracing::debug!(target: "gearmanode::binding", "the JS thread keeps changing CPUs: the I/O thread stops following for a while");
                PAUSES.fetch_add(1, Ordering::Relaxed);
                place.restore();
            }
            Action::Pin(cpu) => match place.pin(cpu) {
                Ok(true) => {
                    MOVES.fetch_add(1, Ordering::Relaxed);
                }
                // Outside the set this thread started with: stays unpinned.
                Ok(false) => {}
                Err(e) => {
                    tracing::debug!(target: "gearmanode::binding", "cannot place the I/O thread: {e}");
                    stop();
                    place.restore();
                }
            },
        }
        PINNED.store(place.cpu.unwrap_or(-1), Ordering::Relaxed);
    });
}

/// The core's I/O thread: where it is pinned, and the decisions about it.
struct IoThread {
    place: sys::Place,
    pace: Pace,
}

thread_local! {
    /// Only on the core's I/O thread (named in `binding::init_runtime`), and only on Linux.
    static IO_THREAD: RefCell<Option<IoThread>> = RefCell::new(
        (std::thread::current().name() == Some("gearmanode-io"))
            .then(sys::Place::for_this_thread)
            .flatten()
            .map(|place| IoThread { place, pace: Pace::default() }),
    );
}

/// After this many events in a row that find the JS thread still busy with the previous one, the
/// I/O thread leaves the JS thread's CPU: a busy JS thread needs no wakeup, and the two threads
/// then do more side by side on two CPUs than taking turns on one (the client of the bench's S2,
/// 200 jobs in flight, goes to and fro a few hundred times in a 30,000-job run).
const BUSY_RUN: u32 = 4;
/// An event of at least this many bytes took the I/O thread many reads: then it leaves the JS
/// thread's CPU, and comes back only after `SETTLE_EVENTS` small events that find the JS thread
/// waiting. Streaming a big payload, the I/O thread keeps pace with the sender (gearmand) on
/// whichever CPU is free; pinned, it could be made to take turns with it (bench S4, 128 MiB: up to
/// 2.5× the client's CPU per MiB when pinned).
const LARGE_EVENT: usize = 256 * 1024;
const SETTLE_EVENTS: u32 = 16;
/// This many changes of CPU by the JS thread within `CHURN_EVENTS` events mean that it is being
/// bounced between CPUs, which the pinned I/O thread itself causes when another CPU is idle: the
/// JS thread, woken by the I/O thread on its own CPU, is placed on the idle one. Following then
/// pauses, the I/O thread back on its own CPU set: for `PAUSE_FIRST`, twice as long at each churn
/// that follows within `CALM` of the end of the last pause, up to `PAUSE_MAX`. A short first pause
/// lets a process whose JS thread only settled in (start-up) be followed again soon; a load that
/// keeps bouncing it is left alone for longer. (Measured in S5 of the bench, 20,000 jobs submitted
/// at once: 800–1,200 changes in a run when always following, against 50–200 migrations of a JS
/// thread whose I/O thread is not placed.)
const CHURN_CHASES: usize = 4;
const CHURN_EVENTS: u64 = 256;
const PAUSE_FIRST: Duration = Duration::from_millis(250);
const PAUSE_MAX: Duration = Duration::from_secs(8);
const CALM: Duration = Duration::from_secs(10);

/// What the I/O thread does before it hands over an event.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    /// Nothing.
    Stay,
    /// Pin itself to this CPU.
    Pin(i32),
    /// Back to its own CPU set (the JS thread is busy, or following stopped).
    Unpin,
    /// Back to its own CPU set, and no following for a while.
    Pause,
}

/// The I/O thread's decisions: when to follow the JS thread, when to leave it.
#[derive(Default)]
struct Pace {
    /// Events seen.
    events: u64,
    /// Events in a row that found the JS thread still busy.
    busy_run: u32,
    /// Small events that must still find the JS thread waiting before following resumes after a
    /// large one.
    settle: u32,
    /// The JS thread's CPU that was last followed.
    followed: Option<i32>,
    /// When (in `events`) the JS thread last changed CPUs, a ring of `CHURN_CHASES - 1`.
    chases: [Option<u64>; CHURN_CHASES - 1],
    next: usize,
    /// Following is paused until then.
    resume_at: Option<Instant>,
    /// The last pause: when it ended (or ends) and how long it was.
    last_pause: Option<(Instant, Duration)>,
}

impl Pace {
    /// `target`: the JS thread's CPU; `pinned`: where the I/O thread is pinned; `js_behind`: the
    /// JS thread has not taken the previous event yet; `bytes`: the size of the event; `now` is
    /// read only when needed.
    fn decide(
        &mut self,
        target: i32,
        pinned: Option<i32>,
        js_behind: bool,
        bytes: usize,
        now: impl Fn() -> Instant,
    ) -> Action {
        self.events += 1;
        if bytes >= LARGE_EVENT {
            self.settle = SETTLE_EVENTS;
            return Action::Unpin;
        }
        if js_behind {
            self.busy_run += 1;
            return if self.busy_run >= BUSY_RUN && pinned.is_some() {
                Action::Unpin
            } else {
                Action::Stay
            };
        }
        self.busy_run = 0;
        if self.settle > 0 {
            self.settle -= 1;
            return Action::Stay;
        }
        if let Some(until) = self.resume_at {
            if now() < until {
                return Action::Stay;
            }
            self.resume_at = None;
        }
        if pinned == Some(target) {
            return Action::Stay;
        }
        if self.followed.is_some_and(|f| f != target) {
            let oldest = self.chases[self.next];
            if oldest.is_some_and(|at| self.events - at < CHURN_EVENTS) {
                self.chases = Default::default();
                self.followed = None;
                let now = now();
                let length = match self.last_pause {
                    Some((ended, length)) if now < ended + CALM => (length * 2).min(PAUSE_MAX),
                    _ => PAUSE_FIRST,
                };
                self.last_pause = Some((now + length, length));
                self.resume_at = Some(now + length);
                return Action::Pause;
            }
            self.chases[self.next] = Some(self.events);
            self.next = (self.next + 1) % self.chases.len();
        }
        self.followed = Some(target);
        Action::Pin(target)
    }
}

/// Where the core's I/O thread runs (`ioThreadPlacement()`).
#[napi(object)]
pub struct IoThreadPlacement {
    /// The I/O thread follows the JS thread's CPU (see the README, "Threads and CPUs").
    pub following: bool,
    /// The CPU the I/O thread is pinned to, or -1 (not pinned, or no event taken yet).
    pub cpu: i32,
    /// How many times it moved to another CPU.
    pub moves: u32,
    /// How many times following paused (0.25 s at first, longer when it keeps happening) because
    /// the JS thread kept changing CPUs.
    pub pauses: u32,
    /// The I/O thread's Linux thread id (`/proc/self/task/<thread>`), or -1 (following off, or no
    /// event handed over yet).
    pub thread: i32,
}

/// Where the core's I/O thread runs now, for tests and diagnostics.
#[napi(catch_unwind)]
pub fn io_thread_placement() -> IoThreadPlacement {
    IoThreadPlacement {
        following: ENABLED.load(Ordering::Relaxed) && TARGET.load(Ordering::Relaxed) != STOPPED,
        cpu: PINNED.load(Ordering::Relaxed),
        moves: MOVES.load(Ordering::Relaxed),
        pauses: PAUSES.load(Ordering::Relaxed),
        thread: IO_TID.load(Ordering::Relaxed),
    }
}

#[cfg(target_os = "linux")]
mod sys {
    use std::io;
    use std::sync::atomic::Ordering;

    /// A thread's placement: the CPU set it started with and the CPU it is pinned to.
    pub(super) struct Place {
        home: libc::cpu_set_t,
        /// The CPU this thread is pinned to, if it is.
        pub(super) cpu: Option<i32>,
    }

    impl Place {
        /// The calling thread's placement (and its id in `IO_TID`), or None if its CPU set
        /// cannot be read.
        pub(super) fn for_this_thread() -> Option<Place> {
            // SYS_gettid: glibc has gettid() only since 2.30; the prebuilt cores run on 2.17.
            // SAFETY: no arguments besides the call number.
            let tid = unsafe { libc::syscall(libc::SYS_gettid) } as i32;
            super::IO_TID.store(tid, Ordering::Relaxed);
            // SAFETY: a zeroed cpu_set_t is a valid empty set; pid 0 is the calling thread.
            unsafe {
                let mut home: libc::cpu_set_t = std::mem::zeroed();
                let size = std::mem::size_of::<libc::cpu_set_t>();
                (libc::sched_getaffinity(0, size, &mut home) == 0)
                    .then_some(Place { home, cpu: None })
            }
        }

        /// Pins this thread to `cpu` if its original set has it; `Ok(false)` (and its original
        /// set) if not.
        pub(super) fn pin(&mut self, cpu: i32) -> io::Result<bool> {
            let index = usize::try_from(cpu).unwrap_or(usize::MAX);
            // SAFETY: CPU_ISSET is only called with an index below CPU_SETSIZE.
            if index >= libc::CPU_SETSIZE as usize || !unsafe { libc::CPU_ISSET(index, &self.home) }
            {
                self.restore();
                return Ok(false);
            }
            // SAFETY: a zeroed cpu_set_t is a valid empty set; the index is below CPU_SETSIZE.
            let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            unsafe { libc::CPU_SET(index, &mut one) };
            set(&one)?;
            self.cpu = Some(cpu);
            Ok(true)
        }

        /// Gives this thread its original set back, if it is pinned.
        pub(super) fn restore(&mut self) {
            if self.cpu.take().is_some() {
                let _ = set(&self.home);
            }
        }
    }

    fn set(cpus: &libc::cpu_set_t) -> io::Result<()> {
        // SAFETY: `cpus` is a valid set of the size given; pid 0 is the calling thread.
        let r = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), cpus) };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// The CPU the calling thread runs on.
    pub(super) fn current_cpu() -> Option<i32> {
        // SAFETY: no arguments; returns -1 on failure.
        let cpu = unsafe { libc::sched_getcpu() };
        (cpu >= 0).then_some(cpu)
    }
}

/// Elsewhere no thread is placed: `for_this_thread` gives nothing, so nothing else is called.
#[cfg(not(target_os = "linux"))]
mod sys {
    use std::io;

    pub(super) struct Place {
        pub(super) cpu: Option<i32>,
    }

    impl Place {
        pub(super) fn for_this_thread() -> Option<Place> {
            None
        }
        pub(super) fn pin(&mut self, _cpu: i32) -> io::Result<bool> {
            Ok(false)
        }
        pub(super) fn restore(&mut self) {}
    }

    pub(super) fn current_cpu() -> Option<i32> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> Instant {
        panic!("the clock is not read here")
    }

    #[test]
    fn follows_the_js_thread_and_stays_while_it_stays() {
        let mut pace = Pace::default();
        assert_eq!(pace.decide(1, None, false, 0, never), Action::Pin(1));
        for _ in 0..1000 {
            assert_eq!(pace.decide(1, Some(1), false, 0, never), Action::Stay);
        }
        assert_eq!(pace.decide(0, Some(1), false, 0, never), Action::Pin(0));
    }

    #[test]
    fn leaves_a_busy_js_thread_after_a_run_of_events_and_comes_back_when_it_keeps_up() {
        let mut pace = Pace::default();
        assert_eq!(pace.decide(1, None, false, 0, never), Action::Pin(1));
        for _ in 1..BUSY_RUN {
            assert_eq!(pace.decide(1, Some(1), true, 0, never), Action::Stay);
        }
        assert_eq!(pace.decide(1, Some(1), true, 0, never), Action::Unpin);
        assert_eq!(pace.decide(1, None, true, 0, never), Action::Stay);
        // Back to the same CPU is no change of CPU by the JS thread: no pause however often.
        for _ in 0..100 {
            assert_eq!(pace.decide(1, None, false, 0, never), Action::Pin(1));
            for _ in 0..BUSY_RUN {
                pace.decide(1, Some(1), true, 0, never);
            }
        }
    }

    /// A `Pace` that has just pinned the I/O thread to CPU 0, and the time it started.
    fn following_on_cpu_0() -> (Pace, Instant) {
        let mut pace = Pace::default();
        assert_eq!(pace.decide(0, None, false, 0, never), Action::Pin(0));
        (pace, Instant::now())
    }

    /// Four changes of CPU within a few events, the first at `ms`: the last one's verdict.
    fn bounce(pace: &mut Pace, t0: Instant, ms: u64) -> Action {
        let at = move || t0 + Duration::from_millis(ms);
        assert_eq!(pace.decide(1, Some(0), false, 0, at), Action::Pin(1));
        assert_eq!(pace.decide(0, Some(1), false, 0, at), Action::Pin(0));
        assert_eq!(pace.decide(1, Some(0), false, 0, at), Action::Pin(1));
        pace.decide(0, Some(1), false, 0, at)
    }

    #[test]
    fn a_js_thread_bounced_between_cpus_pauses_following_then_it_resumes() {
        let (mut pace, t0) = following_on_cpu_0();
        let at = |ms: u64| move || t0 + Duration::from_millis(ms);
        // Three changes within a few events are followed; the fourth pauses, for 250 ms.
        assert_eq!(bounce(&mut pace, t0, 10), Action::Pause);
        assert_eq!(pace.decide(1, None, false, 0, at(20)), Action::Stay);
        assert_eq!(pace.decide(0, None, false, 0, at(259)), Action::Stay);
        assert_eq!(pace.decide(0, None, false, 0, at(260)), Action::Pin(0));
    }

    #[test]
    fn pauses_grow_while_the_bouncing_goes_on_and_shrink_after_a_calm_spell() {
        let (mut pace, t0) = following_on_cpu_0();
        let at = |ms: u64| move || t0 + Duration::from_millis(ms);
        // Each pause starts when the last one ends: 250 ms, then 0.5, 1, 2, 4, 8, 8 s.
        let mut start = 0;
        for length in [250, 500, 1000, 2000, 4000, 8000, 8000] {
            assert_eq!(
                bounce(&mut pace, t0, start),
                Action::Pause,
                "pause of {length} ms"
            );
            assert_eq!(
                pace.decide(0, None, false, 0, at(start + length - 1)),
                Action::Stay
            );
            start += length;
            assert_eq!(pace.decide(0, None, false, 0, at(start)), Action::Pin(0));
        }
        // Ten seconds after the last pause ended, the next one is short again.
        start += 10_000;
        assert_eq!(bounce(&mut pace, t0, start), Action::Pause);
        assert_eq!(
            pace.decide(0, None, false, 0, at(start + 250)),
            Action::Pin(0)
        );
    }

    #[test]
    fn a_large_event_sends_it_off_until_small_events_find_the_js_thread_waiting_again() {
        let mut pace = Pace::default();
        assert_eq!(pace.decide(1, None, false, 0, never), Action::Pin(1));
        assert_eq!(
            pace.decide(1, Some(1), false, LARGE_EVENT, never),
            Action::Unpin
        );
        for _ in 0..SETTLE_EVENTS - 1 {
            assert_eq!(pace.decide(1, None, false, 100, never), Action::Stay);
        }
        // Another large one starts the count again.
        assert_eq!(
            pace.decide(1, None, false, LARGE_EVENT, never),
            Action::Unpin
        );
        for _ in 0..SETTLE_EVENTS {
            assert_eq!(pace.decide(1, None, false, 100, never), Action::Stay);
        }
        assert_eq!(pace.decide(1, None, false, 100, never), Action::Pin(1));
    }

    #[test]
    fn changes_of_cpu_spread_out_are_followed() {
        let mut pace = Pace::default();
        let mut cpu = 0;
        assert_eq!(pace.decide(cpu, None, false, 0, never), Action::Pin(cpu));
        for _ in 0..50 {
            for _ in 0..CHURN_EVENTS / 3 {
                assert_eq!(pace.decide(cpu, Some(cpu), false, 0, never), Action::Stay);
            }
            let next = 1 - cpu;
            assert_eq!(
                pace.decide(next, Some(cpu), false, 0, never),
                Action::Pin(next)
            );
            cpu = next;
        }
    }
}
