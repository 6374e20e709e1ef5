//! What an invocation would cost in the cloud: AWS Lambda (requests and
//! GB-seconds at the function's memory, billed per 1 ms, x86 or Arm) and
//! Cloudflare Workers Standard (requests and CPU milliseconds).
//!
//! wasmi interprets, so the wall time of a local run says little about the
//! time the same code takes under the cloud's compilers. Fuel does: it counts
//! the guest's work deterministically, whatever the machine. An estimate
//! converts fuel to native time with [`NATIVE_NS_PER_FUEL`], a factor
//! calibrated by `benches/fuel_calibration.rs` (native Rust against the same
//! kernels under wasmi), and prices that time. It is an estimate of compute
//! only: time a function spends waiting on I/O, which Lambda bills and
//! Workers does not, is not in it. `docs/dashboard.md` states the model and
//! the price table; this module only does the arithmetic, with no I/O.

use serde::Serialize;

/// When [`LAMBDA`] and [`WORKERS`] were last checked against the vendors'
/// pricing pages (AWS: us-east-1, first duration tier; Cloudflare: Workers
/// Standard). Prices change: `docs/dashboard.md` says where to check them.
pub const PRICES_CHECKED: &str = "2026-12-05";

/// Nanoseconds of native (compiled) execution per unit of wasmi fuel.
///
/// `benches/fuel_calibration.rs` runs three CPU-bound kernels natively and
/// as wasm under wasmi and prints native ns per fuel. On this project's
/// 2-core x86-64 machine (2026-12-05, shared with other builds) it printed
/// 0.228 (FNV hash: a serial chain of multiplies), 0.044 (sieve: rustc
/// vectorises what wasm does a byte at a time) and 0.074 (Collatz: branchy
/// integer code), wasmi being 10–40× slower than native. The median is
/// used. Fuel is about one unit per wasm instruction, and a compiler turns
/// several wasm instructions into one machine instruction that retires in a
/// fraction of a nanosecond, so a figure below 0.1 ns is the expected order.
/// Cloud CPUs and workloads differ: treat estimates as good to a factor of
/// about 3, and re-run the benchmark when wasmi or the fuel costs change.
pub const NATIVE_NS_PER_FUEL: f64 = 0.074;

/// AWS Lambda's on-demand prices in USD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LambdaPrices {
    pub per_million_requests: f64,
    pub per_gb_second_x86: f64,
    pub per_gb_second_arm: f64,
    /// Requests a month free (the free tier).
    pub free_requests: u64,
    /// GB-seconds a month free (the free tier, x86 and Arm together).
    pub free_gb_seconds: f64,
    /// The smallest memory a function can have; smaller settings bill as this.
    pub min_memory_mb: u64,
}

/// us-east-1, first tier (up to 6 billion GB-seconds a month).
pub const LAMBDA: LambdaPrices = LambdaPrices {
    per_million_requests: 0.20,
    per_gb_second_x86: 0.000_016_666_7,
    per_gb_second_arm: 0.000_013_333_4,
    free_requests: 1_000_000,
    free_gb_seconds: 400_000.0,
    min_memory_mb: 128,
};

/// Cloudflare Workers' Standard usage model in USD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkersPrices {
    /// The Workers Paid plan's monthly subscription.
    pub monthly_base: f64,
    pub included_requests: u64,
    pub included_cpu_ms: f64,
    pub per_million_requests: f64,
    pub per_million_cpu_ms: f64,
}

pub const WORKERS: WorkersPrices = WorkersPrices {
    monthly_base: 5.00,
    included_requests: 10_000_000,
    included_cpu_ms: 30_000_000.0,
    per_million_requests: 0.30,
    per_million_cpu_ms: 0.02,
};

/// A Lambda function's processor architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86,
    Arm,
}

/// Native time in milliseconds for `fuel` units of wasmi fuel.
pub fn native_ms(fuel: u64) -> f64 {
    fuel as f64 * NATIVE_NS_PER_FUEL / 1e6
}

/// The duration Lambda bills for a run of `ms`: rounded up to a whole
/// millisecond, and at least one.
pub fn lambda_billed_ms(ms: f64) -> u64 {
    (ms.ceil() as u64).max(1)
}

/// GB-seconds of `invocations` runs of `billed_ms` each at `memory_mb`
/// (Lambda's GB is 1024 MB).
pub fn gb_seconds(invocations: u64, billed_ms: u64, memory_mb: u64) -> f64 {
    let memory_mb = memory_mb.max(LAMBDA.min_memory_mb);
    invocations as f64 * billed_ms as f64 / 1000.0 * memory_mb as f64 / 1024.0
}

impl LambdaPrices {
    pub fn per_gb_second(&self, arch: Arch) -> f64 {
        match arch {
            Arch::X86 => self.per_gb_second_x86,
            Arch::Arm => self.per_gb_second_arm,
        }
    }

    /// One invocation billed `billed_ms` at `memory_mb`, free tier aside.
    pub fn invocation(&self, billed_ms: u64, memory_mb: u64, arch: Arch) -> f64 {
        self.per_million_requests / 1e6
            + gb_seconds(1, billed_ms, memory_mb) * self.per_gb_second(arch)
    }

    /// A month of `requests` invocations of `billed_ms` each at `memory_mb`,
    /// with the free tier taken off when `free_tier`.
    pub fn monthly(
        &self,
        requests: u64,
        billed_ms: u64,
        memory_mb: u64,
        arch: Arch,
        free_tier: bool,
    ) -> f64 {
        let (free_requests, free_gb_seconds) = if free_tier {
            (self.free_requests, self.free_gb_seconds)
        } else {
            (0, 0.0)
        };
        let requests_billed = requests.saturating_sub(free_requests) as f64;
        let compute = (gb_seconds(requests, billed_ms, memory_mb) - free_gb_seconds).max(0.0);
        requests_billed * self.per_million_requests / 1e6 + compute * self.per_gb_second(arch)
    }
}

impl WorkersPrices {
    /// One invocation using `cpu_ms`, at the overage rates (what one more
    /// request adds to a bill past the plan's allowances).
    pub fn invocation(&self, cpu_ms: f64) -> f64 {
        self.per_million_requests / 1e6 + cpu_ms * self.per_million_cpu_ms / 1e6
    }

    /// A month's bill on the Standard plan: the subscription, plus requests
    /// and CPU time past the allowances.
    pub fn monthly(&self, requests: u64, cpu_ms: f64) -> f64 {
        let requests_over = requests.saturating_sub(self.included_requests) as f64;
        let cpu_over = (cpu_ms - self.included_cpu_ms).max(0.0);
        self.monthly_base
            + requests_over * self.per_million_requests / 1e6
            + cpu_over * self.per_million_cpu_ms / 1e6
    }
}

/// What one invocation would cost, from its fuel and its function's memory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Estimated native execution time ([`native_ms`]).
    pub native_ms: f64,
    /// Lambda's billed duration for it.
    pub lambda_billed_ms: u64,
    /// The memory billed: the function's `memory_mb`, at least 128.
    pub lambda_memory_mb: u64,
    pub lambda_x86_usd: f64,
    pub lambda_arm_usd: f64,
    /// Workers Standard, at the overage rates.
    pub workers_usd: f64,
}

/// The estimate for one invocation that used `fuel` in a function allowed
/// `memory_mb` of memory.
pub fn estimate(fuel: u64, memory_mb: u64) -> Estimate {
    let native_ms = native_ms(fuel);
    let billed = lambda_billed_ms(native_ms);
    Estimate {
        native_ms,
        lambda_billed_ms: billed,
        lambda_memory_mb: memory_mb.max(LAMBDA.min_memory_mb),
        lambda_x86_usd: LAMBDA.invocation(billed, memory_mb, Arch::X86),
        lambda_arm_usd: LAMBDA.invocation(billed, memory_mb, Arch::Arm),
        workers_usd: WORKERS.invocation(native_ms),
    }
}

/// A function's `memory_mb` from its limit in bytes, rounded up.
pub fn memory_mb(memory_bytes: u64) -> u64 {
    memory_bytes.div_ceil(1024 * 1024)
}

/// The model behind every estimate, as JSON for the dashboard and
/// `wasmfaas cost --json` to state beside their figures.
pub fn model() -> serde_json::Value {
    serde_json::json!({
        "prices_checked": PRICES_CHECKED,
        "native_ns_per_fuel": NATIVE_NS_PER_FUEL,
        "lambda": {
            "per_million_requests": LAMBDA.per_million_requests,
            "per_gb_second_x86": LAMBDA.per_gb_second_x86,
            "per_gb_second_arm": LAMBDA.per_gb_second_arm,
            "billed_per": "1 ms, at least 1 ms",
            "min_memory_mb": LAMBDA.min_memory_mb,
        },
        "workers": {
            "per_million_requests": WORKERS.per_million_requests,
            "per_million_cpu_ms": WORKERS.per_million_cpu_ms,
            "monthly_base": WORKERS.monthly_base,
        },
    })
}

/// The estimates of several invocations, added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Tally {
    pub invocations: u64,
    pub fuel: u64,
    pub native_ms: f64,
    pub lambda_billed_ms: u64,
    pub lambda_x86_usd: f64,
    pub lambda_arm_usd: f64,
    pub workers_usd: f64,
}

impl Tally {
    pub fn add(&mut self, fuel: u64, estimate: &Estimate) {
        self.invocations += 1;
        self.fuel = self.fuel.saturating_add(fuel);
        self.native_ms += estimate.native_ms;
        self.lambda_billed_ms += estimate.lambda_billed_ms;
        self.lambda_x86_usd += estimate.lambda_x86_usd;
        self.lambda_arm_usd += estimate.lambda_arm_usd;
        self.workers_usd += estimate.workers_usd;
    }

    /// Adds another tally (a function's into the total).
    pub fn merge(&mut self, other: &Tally) {
        self.invocations += other.invocations;
        self.fuel = self.fuel.saturating_add(other.fuel);
        self.native_ms += other.native_ms;
        self.lambda_billed_ms += other.lambda_billed_ms;
        self.lambda_x86_usd += other.lambda_x86_usd;
        self.lambda_arm_usd += other.lambda_arm_usd;
        self.workers_usd += other.workers_usd;
    }

    /// What a million invocations like these, in the same mix, would cost:
    /// (x86, Arm, Workers) in USD.
    pub fn per_million(&self) -> (f64, f64, f64) {
        if self.invocations == 0 {
            return (0.0, 0.0, 0.0);
        }
        let scale = 1e6 / self.invocations as f64;
        (
            self.lambda_x86_usd * scale,
            self.lambda_arm_usd * scale,
            self.workers_usd * scale,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    /// Cloudflare's pricing page: 15 million requests a month at 7 ms of CPU
    /// each cost $5 + (5M × $0.30/M) + (75M ms × $0.02/M) = $8.00.
    #[test]
    fn workers_standard_matches_cloudflares_worked_example() {
        let bill = WORKERS.monthly(15_000_000, 15_000_000.0 * 7.0);
        assert_close(bill, 8.00, 1e-9);
    }

    #[test]
    fn workers_within_the_allowances_costs_the_subscription_only() {
        assert_close(WORKERS.monthly(10_000_000, 30_000_000.0), 5.00, 1e-12);
    }

    /// AWS's pricing page, example 1: 512 MB, 3M invocations of 1 s a month,
    /// free tier taken: 1,100,000 GB-s billed and 2M requests. The page
    /// rounds the GB-s rate to $0.00001667 and says $18.34 + $0.40 = $18.74;
    /// at the table's $0.0000166667 it is $18.33337 + $0.40 = $18.73337.
    #[test]
    fn lambda_matches_aws_example_one_to_the_cent() {
        assert_close(gb_seconds(3_000_000, 1000, 512), 1_500_000.0, 1e-6);
        let bill = LAMBDA.monthly(3_000_000, 1000, 512, Arch::X86, true);
        assert_close(bill, 18.733_37, 1e-5);
        assert_close(bill, 18.74, 0.01);
    }

    /// AWS's example 2: 128 MB, 30M invocations of 200 ms: 750,000 GB-s less
    /// 400,000 free = 350,000 × $0.0000166667 = $5.8333, plus 29M requests ×
    /// $0.20/M = $5.80; the page says $11.63.
    #[test]
    fn lambda_matches_aws_example_two() {
        let bill = LAMBDA.monthly(30_000_000, 200, 128, Arch::X86, true);
        assert_close(bill, 5.833_345 + 5.80, 1e-6);
        assert_close(bill, 11.63, 0.01);
    }

    /// One invocation of 1 ms at 128 MB on Arm: $0.0000002 for the request
    /// plus 0.001 s × 0.125 GB × $0.0000133334 = $0.0000000016667.
    #[test]
    fn one_lambda_invocation_is_a_request_plus_its_gb_seconds() {
        assert_close(
            LAMBDA.invocation(1, 128, Arch::Arm),
            0.000_000_2 + 0.000_000_001_666_675,
            1e-15,
        );
    }

    #[test]
    fn lambda_bills_whole_milliseconds_and_at_least_one() {
        assert_eq!(lambda_billed_ms(0.0), 1);
        assert_eq!(lambda_billed_ms(0.02), 1);
        assert_eq!(lambda_billed_ms(1.0), 1);
        assert_eq!(lambda_billed_ms(1.000_1), 2);
        assert_eq!(lambda_billed_ms(120.5), 121);
    }

    #[test]
    fn memory_below_lambdas_minimum_bills_as_128_mb() {
        assert_eq!(gb_seconds(1, 1000, 16), gb_seconds(1, 1000, 128));
        assert_eq!(estimate(0, 16).lambda_memory_mb, 128);
        assert_eq!(memory_mb(128 * 1024 * 1024), 128);
        assert_eq!(memory_mb(128 * 1024 * 1024 + 1), 129);
    }

    /// 12,345,678,900 fuel at 0.074 ns each is 913.5802386 ms of native
    /// time. Lambda bills 914 ms at 256 MB: 0.914 s × 0.25 GB ×
    /// $0.0000166667 = $0.00000380834095, plus $0.0000002 for the request.
    /// Workers: $0.0000003 + 913.5802386 ms × $0.02/M = $0.000018571604772.
    #[test]
    fn an_estimate_converts_fuel_to_native_time_then_prices_it() {
        let estimate = estimate(12_345_678_900, 256);
        assert_close(estimate.native_ms, 913.580_238_6, 1e-6);
        assert_eq!(estimate.lambda_billed_ms, 914);
        assert_eq!(estimate.lambda_memory_mb, 256);
        assert_close(estimate.lambda_x86_usd, 0.000_004_008_340_95, 1e-15);
        assert_close(estimate.workers_usd, 0.000_018_571_604_772, 1e-15);
    }

    /// Two invocations at 128 MB, of 0.5 ms and 2.5 ms native: Lambda bills
    /// 1 + 3 = 4 ms; x86 = 2 × $0.0000002 + 0.004 s × 0.125 GB ×
    /// $0.0000166667 = $0.00000040833335; a million in this mix cost half a
    /// million times that: $0.204166675.
    #[test]
    fn a_tally_adds_invocations_and_scales_to_a_million() {
        let mut tally = Tally::default();
        for ms in [0.5, 2.5] {
            let fuel = (ms * 1e6 / NATIVE_NS_PER_FUEL) as u64;
            tally.add(fuel, &estimate(fuel, 128));
        }
        assert_eq!(tally.invocations, 2);
        assert_eq!(tally.lambda_billed_ms, 4);
        assert_close(tally.lambda_x86_usd, 0.000_000_408_333_35, 1e-15);
        let (x86, _, workers) = tally.per_million();
        assert_close(x86, 0.204_166_675, 1e-9);
        // Workers: 2 × $0.0000003 + 3 ms × $0.00000002, halved and × 1e6.
        assert_close(workers, 0.33, 1e-6);
        let mut total = Tally::default();
        total.merge(&tally);
        total.merge(&tally);
        assert_eq!(total.invocations, 4);
        assert_close(total.per_million().0, x86, 1e-9);
    }
}
