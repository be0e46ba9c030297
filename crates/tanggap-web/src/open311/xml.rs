//! A small writer for the flat XML documents of GeoReport v2: elements
//! with text or child elements, no attributes.

/// One element: text content, or child elements.
pub(crate) enum Node {
    Text(&'static str, String),
    /// An element written empty, for a value the response does not have.
    Empty(&'static str),
    Parent(&'static str, Vec<Node>),
}

impl Node {
    /// Builds a text element, or an empty one for `None`.
    pub(crate) fn opt(name: &'static str, value: Option<String>) -> Node {
        match value {
            Some(text) => Node::Text(name, text),
            None => Node::Empty(name),
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Node::Text(name, text) => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                escape_into(text, out);
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
            Node::Empty(name) => {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
            }
            Node::Parent(name, children) => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                for child in children {
                    child.write(out);
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
        }
    }
}

/// Serialises a document with the XML declaration that GeoReport v2
/// requires (`encoding="UTF-8"`).
pub(crate) fn document(root: &Node) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    root.write(&mut out);
    out
}

/// Escapes markup characters and drops characters that XML 1.0 does not
/// allow (most C0 controls), so stored text cannot break the document.
fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Node, document};

    #[test]
    fn text_is_escaped() {
        let root = Node::Parent(
            "errors",
            vec![
                Node::Text("description", "a < b & \"c\"\u{1}".into()),
                Node::Empty("code"),
            ],
        );
        assert_eq!(
            document(&root),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><errors>\
             <description>a &lt; b &amp; &quot;c&quot;</description><code/></errors>"
        );
    }
}
