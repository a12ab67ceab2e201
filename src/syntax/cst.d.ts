// GENERATED FILE, do not edit: run `npm run gen:grammar` (src/tools/gen-grammar.ts) after changing
// the parser in src/syntax/parser.ts. The types of the concrete syntax tree, from chevrotain's
// generateCstDts; test/grammar checks that this file is up to date.

import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface FileCstNode extends CstNode {
  name: "file";
  children: FileCstChildren;
}

export type FileCstChildren = {
  importDecl?: ImportDeclCstNode[];
  declaration?: DeclarationCstNode[];
};

export interface ImportDeclCstNode extends CstNode {
  name: "importDecl";
  children: ImportDeclCstChildren;
}

export type ImportDeclCstChildren = {
  Import: IToken[];
  path: IToken[];
  As?: IToken[];
  alias?: IToken[];
};

export interface DeclarationCstNode extends CstNode {
  name: "declaration";
  children: DeclarationCstChildren;
}

export type DeclarationCstChildren = {
  kind: IToken[];
  name: IToken[];
  params?: ParamsCstNode[];
  block?: BlockCstNode[];
  Equals?: IToken[];
  value?: ExpressionCstNode[];
};

export interface ParamsCstNode extends CstNode {
  name: "params";
  children: ParamsCstChildren;
}

export type ParamsCstChildren = {
  LParen: IToken[];
  param?: (ParamCstNode)[];
  Comma?: IToken[];
  trailingComma?: IToken[];
  RParen: IToken[];
};

export interface ParamCstNode extends CstNode {
  name: "param";
  children: ParamCstChildren;
}

export type ParamCstChildren = {
  name: IToken[];
  Equals?: IToken[];
  default?: ExpressionCstNode[];
};

export interface BlockCstNode extends CstNode {
  name: "block";
  children: BlockCstChildren;
}

export type BlockCstChildren = {
  LCurly: IToken[];
  item?: ItemCstNode[];
  RCurly: IToken[];
};

export interface ItemCstNode extends CstNode {
  name: "item";
  children: ItemCstChildren;
}

export type ItemCstChildren = {
  key: IToken[];
  Equals?: IToken[];
  value?: ExpressionCstNode[];
  label?: (IToken)[];
  block?: BlockCstNode[];
  Comma?: IToken[];
};

export interface ExpressionCstNode extends CstNode {
  name: "expression";
  children: ExpressionCstChildren;
}

export type ExpressionCstChildren = {
  lhs: RangeExprCstNode[];
  Arrow?: IToken[];
  rhs?: RangeExprCstNode[];
};

export interface RangeExprCstNode extends CstNode {
  name: "rangeExpr";
  children: RangeExprCstChildren;
}

export type RangeExprCstChildren = {
  lhs: WithExprCstNode[];
  DotDot?: IToken[];
  rhs?: WithExprCstNode[];
};

export interface WithExprCstNode extends CstNode {
  name: "withExpr";
  children: WithExprCstChildren;
}

export type WithExprCstChildren = {
  base: PrimaryCstNode[];
  With?: IToken[];
  override?: RecordCstNode[];
};

export interface PrimaryCstNode extends CstNode {
  name: "primary";
  children: PrimaryCstChildren;
}

export type PrimaryCstChildren = {
  numberExpr?: NumberExprCstNode[];
  StringLiteral?: IToken[];
  True?: IToken[];
  False?: IToken[];
  referenceOrCall?: ReferenceOrCallCstNode[];
  list?: ListCstNode[];
  record?: RecordCstNode[];
  LParen?: IToken[];
  inner?: ExpressionCstNode[];
  RParen?: IToken[];
};

export interface NumberExprCstNode extends CstNode {
  name: "numberExpr";
  children: NumberExprCstChildren;
}

export type NumberExprCstChildren = {
  NumberLiteral: IToken[];
  unit?: IToken[];
};

export interface ReferenceOrCallCstNode extends CstNode {
  name: "referenceOrCall";
  children: ReferenceOrCallCstChildren;
}

export type ReferenceOrCallCstChildren = {
  part: (IToken)[];
  Dot?: IToken[];
  args?: ArgsCstNode[];
};

export interface ArgsCstNode extends CstNode {
  name: "args";
  children: ArgsCstChildren;
}

export type ArgsCstChildren = {
  LParen: IToken[];
  arg?: (ArgCstNode)[];
  Comma?: IToken[];
  trailingComma?: IToken[];
  RParen: IToken[];
};

export interface ArgCstNode extends CstNode {
  name: "arg";
  children: ArgCstChildren;
}

export type ArgCstChildren = {
  name?: IToken[];
  Equals?: IToken[];
  value: ExpressionCstNode[];
};

export interface ListCstNode extends CstNode {
  name: "list";
  children: ListCstChildren;
}

export type ListCstChildren = {
  LSquare: IToken[];
  element?: (ExpressionCstNode)[];
  Comma?: IToken[];
  trailingComma?: IToken[];
  RSquare: IToken[];
};

export interface RecordCstNode extends CstNode {
  name: "record";
  children: RecordCstChildren;
}

export type RecordCstChildren = {
  LCurly: IToken[];
  key?: IToken[];
  Equals?: IToken[];
  value?: ExpressionCstNode[];
  Comma?: IToken[];
  RCurly: IToken[];
};

export interface ICstNodeVisitor<IN, OUT> extends ICstVisitor<IN, OUT> {
  file(children: FileCstChildren, param?: IN): OUT;
  importDecl(children: ImportDeclCstChildren, param?: IN): OUT;
  declaration(children: DeclarationCstChildren, param?: IN): OUT;
  params(children: ParamsCstChildren, param?: IN): OUT;
  param(children: ParamCstChildren, param?: IN): OUT;
  block(children: BlockCstChildren, param?: IN): OUT;
  item(children: ItemCstChildren, param?: IN): OUT;
  expression(children: ExpressionCstChildren, param?: IN): OUT;
  rangeExpr(children: RangeExprCstChildren, param?: IN): OUT;
  withExpr(children: WithExprCstChildren, param?: IN): OUT;
  primary(children: PrimaryCstChildren, param?: IN): OUT;
  numberExpr(children: NumberExprCstChildren, param?: IN): OUT;
  referenceOrCall(children: ReferenceOrCallCstChildren, param?: IN): OUT;
  args(children: ArgsCstChildren, param?: IN): OUT;
  arg(children: ArgCstChildren, param?: IN): OUT;
  list(children: ListCstChildren, param?: IN): OUT;
  record(children: RecordCstChildren, param?: IN): OUT;
}
