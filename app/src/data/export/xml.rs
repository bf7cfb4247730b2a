//! A small XML writer for the libvirt export: elements with attributes and text, escaped and
//! indented like `virsh dumpxml`. Hand-written (some 60 lines) rather than a crate: the
//! export writes one known shape and needs nothing but escaping, which is easy to get right
//! here and to test.

/// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in either kind of attribute quote.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A document being written: `open` … `close` nest, `leaf` is a whole element.
#[derive(Default)]
pub struct Writer {
    out: String,
    open: Vec<String>,
}

impl Writer {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push_str(&"  ".repeat(self.open.len()));
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push_str(&format!(" {k}='{}'", escape(v)));
        }
    }

    /// `<name attrs>` on its own line; children follow until [`Writer::close`].
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start(name, attrs);
        self.out.push_str(">\n");
        self.open.push(name.to_string());
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.out.push_str(&"  ".repeat(self.open.len()));
            self.out.push_str(&format!("</{name}>\n"));
        }
    }

    /// `<name attrs>text</name>`, or `<name attrs/>` when `text` is empty.
    pub fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        if text.is_empty() {
            self.out.push_str("/>\n");
        } else {
            self.out.push_str(&format!(">{}</{name}>\n", escape(text)));
        }
    }

    /// Another writer's finished lines as children of the innermost open element.
    pub fn nest(&mut self, inner: &str) {
        for line in inner.lines() {
            self.out.push_str(&"  ".repeat(self.open.len()));
            self.out.push_str(line);
            self.out.push('\n');
        }
    }

    /// The document, every element closed.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}
