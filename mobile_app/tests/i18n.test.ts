// Every string in both languages, with the same placeholders; English is a full catalogue.
import { describe, expect, it } from "vitest";
import { catalogues } from "../src/i18n";

const { vi, en } = catalogues;

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe("the message catalogues", () => {
  it("have the same keys", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
  });

  it("fill the same placeholders in both languages, and no text is empty", () => {
    for (const key of Object.keys(vi) as Array<keyof typeof vi>) {
      expect(placeholders(en[key]), key).toEqual(placeholders(vi[key]));
      expect(vi[key].trim(), key).not.toBe("");
      expect(en[key].trim(), key).not.toBe("");
    }
  });

  it("say something different in English where the Vietnamese is not a name", () => {
    const same = (Object.keys(vi) as Array<keyof typeof vi>).filter((key) => vi[key] === en[key]);
    expect(same).toEqual(["appName", "scoreOf"]); // a name, and "{score} / 100"
  });
});
