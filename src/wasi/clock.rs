//! The virtual clock: time that depends only on the invocation, never the host.
//!
//! Time starts at the invocation's recorded start and advances with the fuel the
//! guest has burnt (one nanosecond per unit of fuel, about what wasmi executes),
//! plus whatever it asked to sleep, plus one nanosecond per reading so that two
//! readings are never equal. Elapsed-time measurements inside a guest therefore
//! mean something, and a replay sees exactly the same instants.

/// The guest's notion of time for one invocation.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    start_ns: u64,
    slept_ns: u64,
    readings: u64,
}

impl VirtualClock {
    /// A clock reading `start_ns` (nanoseconds since the Unix epoch) before any work.
    pub fn new(start_ns: u64) -> VirtualClock {
        VirtualClock {
            start_ns,
            slept_ns: 0,
            readings: 0,
        }
    }

    /// Nanoseconds since the invocation started, as the guest sees them.
    pub fn elapsed_ns(&self, fuel_consumed: u64) -> u64 {
        fuel_consumed
            .saturating_add(self.slept_ns)
            .saturating_add(self.readings)
    }

    /// Reads the wall clock (`CLOCK_REALTIME`), advancing it by one tick.
    pub fn realtime_ns(&mut self, fuel_consumed: u64) -> u64 {
        self.readings += 1;
        self.start_ns.saturating_add(self.elapsed_ns(fuel_consumed))
    }

    /// Reads the monotonic clock, which starts at zero for each invocation.
    pub fn monotonic_ns(&mut self, fuel_consumed: u64) -> u64 {
        self.readings += 1;
        self.elapsed_ns(fuel_consumed)
    }

    /// A sleep: time jumps forward at once, no thread ever blocks.
    pub fn sleep(&mut self, ns: u64) {
        self.slept_ns = self.slept_ns.saturating_add(ns);
    }

    /// The invocation's start, nanoseconds since the Unix epoch.
    pub fn start_ns(&self) -> u64 {
        self.start_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_strictly_increasing_even_without_work() {
        let mut clock = VirtualClock::new(1_000);
        let a = clock.realtime_ns(0);
        let b = clock.realtime_ns(0);
        assert!(b > a);
        assert!(a > 1_000);
    }

    #[test]
    fn sleeping_and_fuel_both_advance_time() {
        let mut clock = VirtualClock::new(0);
        let before = clock.monotonic_ns(10);
        clock.sleep(1_000_000);
        let after = clock.monotonic_ns(20);
        assert_eq!(after - before, 1_000_000 + 10 + 1);
    }
}
