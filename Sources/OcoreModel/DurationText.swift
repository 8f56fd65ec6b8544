extension Duration {
    /// `42s`, `3m05s`, `1h02m`.
    public var shortText: String {
        let s = Int(components.seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + (s % 60 < 10 ? "0" : "") + "\(s % 60)s" }
        return "\(s / 3600)h" + (s / 60 % 60 < 10 ? "0" : "") + "\(s / 60 % 60)m"
    }
}
