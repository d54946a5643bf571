//! Kubernetes resource quantities (`500m`, `2`, `16Gi`, `128Mi`, `1e3`) parsed exactly into integers.
//!
//! The grammar is the one of `k8s.io/apimachinery/pkg/api/resource.Quantity`: a signed decimal
//! number, then an optional suffix — a binary SI suffix (`Ki Mi Gi Ti Pi Ei`), a decimal SI suffix
//! (`n u m "" k M G T P E`) or a decimal exponent (`e3`, `E-2`). Negative quantities are rejected
//! here because no request in fleetsim may be negative.
//!
//! Every conversion is done in `u128` integer arithmetic; a quantity that is not a whole number of
//! the target unit is an error for counts ([`parse_count`]) and rounds **up** for memory
//! ([`parse_memory_mib`], as the kubelet rounds requests up to whole units).

use core::fmt;

/// Why a quantity string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuantityError {
    /// The string is empty.
    Empty,
    /// The number part is malformed (e.g. `1.2.3`, `abc`).
    BadNumber(String),
    /// The suffix is not a Kubernetes suffix.
    BadSuffix(String),
    /// The quantity is negative.
    Negative(String),
    /// The quantity is too large to represent.
    Overflow(String),
    /// A count (whole GPUs, pods) was given a fraction, e.g. `500m` GPUs.
    NotWhole(String),
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::Empty => write!(f, "empty quantity; expected e.g. `500m`, `2`, `16Gi`"),
            QuantityError::BadNumber(s) => {
                write!(
                    f,
                    "`{s}` is not a quantity; expected a number with an optional suffix such as `500m`, `2`, `16Gi`"
                )
            }
            QuantityError::BadSuffix(s) => write!(
                f,
                "`{s}` has an unknown suffix; expected one of m k M G T P E Ki Mi Gi Ti Pi Ei or an exponent like e3"
            ),
            QuantityError::Negative(s) => write!(f, "`{s}` is negative; a request must be zero or more"),
            QuantityError::Overflow(s) => write!(f, "`{s}` is too large"),
            QuantityError::NotWhole(s) => {
                write!(f, "`{s}` is not a whole number; this resource is counted in whole units (e.g. `1`, `8`)")
            }
        }
    }
}

impl std::error::Error for QuantityError {}

/// A parsed quantity as an exact rational `num / den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exact {
    num: u128,
    den: u128,
}

fn pow(base: u128, exp: u32, orig: &str) -> Result<u128, QuantityError> {
    base.checked_pow(exp).ok_or_else(|| QuantityError::Overflow(orig.to_string()))
}

fn parse_exact(input: &str) -> Result<Exact, QuantityError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(QuantityError::Empty);
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = body.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(body.len());
    let (number, suffix) = body.split_at(num_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err(QuantityError::BadNumber(input.to_string()));
    }
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    let digits: String = format!("{int_part}{frac_part}");
    if digits.len() > 30 {
        return Err(QuantityError::Overflow(input.to_string()));
    }
    let mantissa: u128 =
        if digits.is_empty() { 0 } else { digits.parse().map_err(|_| QuantityError::BadNumber(input.to_string()))? };
    let mut num = mantissa;
    let mut den: u128 = pow(10, frac_part.len() as u32, input)?;
    let mul = |n: u128, m: u128| n.checked_mul(m).ok_or_else(|| QuantityError::Overflow(input.to_string()));
    match suffix {
        "" => {}
        "n" => den = mul(den, 1_000_000_000)?,
        "u" => den = mul(den, 1_000_000)?,
        "m" => den = mul(den, 1_000)?,
        "k" => num = mul(num, 1_000)?,
        "M" => num = mul(num, pow(10, 6, input)?)?,
        "G" => num = mul(num, pow(10, 9, input)?)?,
        "T" => num = mul(num, pow(10, 12, input)?)?,
        "P" => num = mul(num, pow(10, 15, input)?)?,
        "E" => num = mul(num, pow(10, 18, input)?)?,
        "Ki" => num = mul(num, 1 << 10)?,
        "Mi" => num = mul(num, 1 << 20)?,
        "Gi" => num = mul(num, 1 << 30)?,
        "Ti" => num = mul(num, 1 << 40)?,
        "Pi" => num = mul(num, 1 << 50)?,
        "Ei" => num = mul(num, 1 << 60)?,
        other if other.starts_with(['e', 'E']) => {
            let exp: i32 = other[1..].parse().map_err(|_| QuantityError::BadSuffix(input.to_string()))?;
            if exp.unsigned_abs() > 30 {
                return Err(QuantityError::Overflow(input.to_string()));
            }
            if exp >= 0 {
                num = mul(num, pow(10, exp as u32, input)?)?;
            } else {
                den = mul(den, pow(10, exp.unsigned_abs(), input)?)?;
            }
        }
        _ => return Err(QuantityError::BadSuffix(input.to_string())),
    }
    if neg && num != 0 {
        return Err(QuantityError::Negative(input.to_string()));
    }
    Ok(Exact { num, den })
}

fn scaled(input: &str, scale_num: u128, scale_den: u128, round_up: bool) -> Result<u64, QuantityError> {
    let q = parse_exact(input)?;
    let n = q.num.checked_mul(scale_num).ok_or_else(|| QuantityError::Overflow(input.to_string()))?;
    let d = q.den.checked_mul(scale_den).ok_or_else(|| QuantityError::Overflow(input.to_string()))?;
    let whole = n / d;
    let v = if n % d == 0 {
        whole
    } else if round_up {
        whole + 1
    } else {
        return Err(QuantityError::NotWhole(input.to_string()));
    };
    u64::try_from(v).map_err(|_| QuantityError::Overflow(input.to_string()))
}

/// CPU in milli-cores: `500m` → 500, `2` → 2000, `1.5` → 1500. Finer than `1m` is an error,
/// as the API server rejects it for CPU.
pub fn parse_cpu_milli(s: &str) -> Result<u64, QuantityError> {
    scaled(s, 1000, 1, false)
}

/// Memory in MiB: `16Gi` → 16384, `128Mi` → 128, `1G` → 954 (10^9 bytes rounded up to whole MiB).
pub fn parse_memory_mib(s: &str) -> Result<u64, QuantityError> {
    scaled(s, 1, 1 << 20, true)
}

/// Memory in bytes, exactly (`1Gi` → 1073741824). Fractions of a byte round up.
pub fn parse_bytes(s: &str) -> Result<u64, QuantityError> {
    scaled(s, 1, 1, true)
}

/// A whole count such as `nvidia.com/gpu: 1`; `500m` is an error.
pub fn parse_count(s: &str) -> Result<u64, QuantityError> {
    scaled(s, 1, 1, false)
}

/// A value in thousandths of the unit (`0.46` → 460, `460m` → 460); used for milli-GPU shares.
pub fn parse_milli(s: &str) -> Result<u64, QuantityError> {
    scaled(s, 1000, 1, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu() {
        assert_eq!(parse_cpu_milli("500m"), Ok(500));
        assert_eq!(parse_cpu_milli("2"), Ok(2000));
        assert_eq!(parse_cpu_milli("1.5"), Ok(1500));
        assert_eq!(parse_cpu_milli("0.1"), Ok(100));
        assert_eq!(parse_cpu_milli("1e3"), Ok(1_000_000));
        assert_eq!(parse_cpu_milli("+4"), Ok(4000));
        assert!(matches!(parse_cpu_milli("0.0005"), Err(QuantityError::NotWhole(_))));
        assert!(matches!(parse_cpu_milli("100u"), Err(QuantityError::NotWhole(_))));
    }

    #[test]
    fn memory() {
        assert_eq!(parse_memory_mib("16Gi"), Ok(16384));
        assert_eq!(parse_memory_mib("128Mi"), Ok(128));
        assert_eq!(parse_memory_mib("1Ti"), Ok(1 << 20));
        // 10^9 bytes = 953.67 MiB, rounded up.
        assert_eq!(parse_memory_mib("1G"), Ok(954));
        assert_eq!(parse_memory_mib("1048576"), Ok(1));
        assert_eq!(parse_memory_mib("1"), Ok(1));
        assert_eq!(parse_bytes("1Gi"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5Ki"), Ok(1536));
    }

    #[test]
    fn counts_and_milli() {
        assert_eq!(parse_count("8"), Ok(8));
        assert_eq!(parse_count("0"), Ok(0));
        assert!(matches!(parse_count("500m"), Err(QuantityError::NotWhole(_))));
        assert_eq!(parse_milli("0.46"), Ok(460));
        assert_eq!(parse_milli("460m"), Ok(460));
    }

    #[test]
    fn rejects() {
        assert_eq!(parse_cpu_milli(""), Err(QuantityError::Empty));
        assert!(matches!(parse_cpu_milli("-1"), Err(QuantityError::Negative(_))));
        assert_eq!(parse_cpu_milli("-0"), Ok(0));
        assert!(matches!(parse_cpu_milli("abc"), Err(QuantityError::BadNumber(_))));
        assert!(matches!(parse_cpu_milli("1.2.3"), Err(QuantityError::BadNumber(_))));
        assert!(matches!(parse_memory_mib("16GB"), Err(QuantityError::BadSuffix(_))));
        assert!(matches!(parse_memory_mib("16gi"), Err(QuantityError::BadSuffix(_))));
        assert!(matches!(parse_memory_mib("99999999999999999999Ei"), Err(QuantityError::Overflow(_))));
        let msg = parse_cpu_milli("-1").unwrap_err().to_string();
        assert!(msg.contains("negative"), "{msg}");
    }
}
