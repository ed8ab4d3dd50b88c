//! kubectl's AGE format (k8s.io/apimachinery `duration.HumanDuration`): two units while the
//! smaller one still says something, one unit after that.

use crate::report::Age;

impl Age {
    /// kubectl's AGE (`45s`, `5m`, `3h12m`, `4d`, `2y`).
    pub fn human(&self) -> String {
        human_duration(self.seconds)
    }
}

/// `{"seconds": 11520, "human": "3h12m"}`: machine and kubectl form side by side.
impl serde::Serialize for Age {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Age", 2)?;
        st.serialize_field("seconds", &self.seconds)?;
        st.serialize_field("human", &self.human())?;
        st.end()
    }
}

pub fn human_duration(seconds: i64) -> String {
    // kubectl tolerates a second of clock skew between client and server.
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = hours / 24;
        let dy = days % 365;
        return if dy == 0 {
            format!("{}y", days / 365)
        } else {
            format!("{}y{dy}d", days / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::human_duration as h;

    #[test]
    fn matches_kubectl() {
        let m = 60;
        let hr = 3600;
        let d = 24 * hr;
        let y = 365 * d;
        let cases = [
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (45, "45s"),
            (119, "119s"),
            (120, "2m"),
            (5 * m, "5m"),
            (5 * m + 7, "5m7s"),
            (10 * m + 7, "10m"),
            (179 * m, "179m"),
            (3 * hr + 12 * m, "3h12m"),
            (7 * hr, "7h"),
            (8 * hr + 30 * m, "8h"),
            (47 * hr, "47h"),
            (2 * d, "2d"),
            (4 * d + 5 * hr, "4d5h"),
            (8 * d + 5 * hr, "8d"),
            (729 * d, "729d"),
            (2 * y, "2y"),
            (2 * y + 205 * d + 19 * hr, "2y205d"),
            (8 * y + 100 * d, "8y"),
        ];
        for (secs, want) in cases {
            assert_eq!(h(secs), want, "{secs}s");
        }
    }
}
