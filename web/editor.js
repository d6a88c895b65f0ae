// The quiz page's editor: CodeMirror 6 with Python highlighting, bundled once by `npm run build`
// into autograder/server/static/editor.js (committed), so the server needs no network at run time.
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { python } from "@codemirror/lang-python";
import { indentUnit } from "@codemirror/language";

// create(parent, text, {readOnly, label, onChange}) -> {get(), set(text), focus(), view}
function create(parent, text, options = {}) {
  const extensions = [
    basicSetup,
    python(),
    indentUnit.of("    "),
    EditorView.contentAttributes.of({ "aria-label": options.label || "code editor" }),
  ];
  if (options.readOnly) {
    extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false));
  }
  if (options.onChange) {
    extensions.push(EditorView.updateListener.of((update) => {
      if (update.docChanged) options.onChange(update.state.doc.toString());
    }));
  }
  const view = new EditorView({ state: EditorState.create({ doc: text, extensions }), parent });
  return {
    view,
    get: () => view.state.doc.toString(),
    set: (value) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } }),
    focus: () => view.focus(),
  };
}

window.GDLabEditor = { create };
