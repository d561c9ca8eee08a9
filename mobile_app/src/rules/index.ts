// The checklist rules on the phone: the same show_if language, scoring, findings and evidence
// checks as the server (checklists/expressions.py and checklists/scoring.py), held to the same
// answers by the shared conformance vectors (checklists/conformance/vectors.json).
//
//   parseExpression(text)                  → ExpressionNode, or throws ExpressionError
//   evaluateExpression(node, facts)        → boolean
//   visibleItems(template, answers)        → keys of the items to show, in document order
//   checkAnswer(item, answer)              → why the answer does not fit, or null
//   checkAnswers(template, answers)        → AnswerProblem[] (empty when all fit)
//   scoreInspection(template, answers, {inspectedOn}) → ScoreResult, or throws InvalidAnswersError

export {
  ExpressionError,
  MAX_EXPRESSION_LENGTH,
  MAX_NESTING,
  evaluateExpression,
  parseExpression,
  references,
} from "./expressions";
export type { ExpressionFacts, ExpressionNode, ExpressionValue, ItemFacts } from "./expressions";
export {
  InvalidAnswersError,
  checkAnswer,
  checkAnswers,
  evaluationOrder,
  isEmptyAnswer,
  isScored,
  scoreInspection,
  visibleItems,
} from "./scoring";
export type { ScoreOptions } from "./scoring";
export type * from "./types";
